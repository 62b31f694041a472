"""A light diagonal watermark on every page of a PDF, naming who took the copy.

Each copy carries the reader's name, the time of the download and a short code (recorded in
the download log, so a leaked copy leads back to one download). The text is drawn in an
overlay rendered by WeasyPrint once per download — one overlay page per distinct page size,
all in one rendering — stored once in the copy as a Form XObject and drawn over each page
(a few bytes per page); the original bytes are never changed. The code is also written,
upright and small, at the foot of every page (where a faint diagonal may not survive a
photocopy) and into the document's metadata (`/WatermarkCode`), which a cropped or
re-typeset page does not lose.
"""

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

TEMPLATE = "documents/watermark.html"
# No 0/O, 1/I/L: a code read off a photocopy or over the telephone is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 8·10**14 codes: a collision is not a concern
METADATA_KEY = "/WatermarkCode"
# A file with more page sizes than this (rare: scans) has its other pages stamped with the
# first size's overlay scaled to fit, rather than a rendering of dozens of overlay pages.
MAX_OVERLAY_SIZES = 12
DOCUMENT_LANGUAGE = "zh-hans"  # the stamp is read by the office, like the 申报书


class WatermarkFailed(Exception):
    """The file could not be read as a PDF, so no traceable copy could be made."""


@dataclass(frozen=True)
class Stamp:
    """What a copy says about who took it."""

    reader: str
    at: str  # local time, already formatted
    code: str


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed by a person (spaces, hyphens, lower case, O for 0…) in stored form."""
    text = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def _size(page) -> tuple[float, float]:
    box = page.mediabox
    return float(box.width), float(box.height)


def _overlays(sizes: list[tuple[float, float]], stamp: Stamp) -> list:
    """One overlay page per size, in order (one WeasyPrint rendering)."""
    from weasyprint import HTML  # WeasyPrint loads its fonts on first use: only when needed

    with translation.override(DOCUMENT_LANGUAGE):
        html = render_to_string(
            TEMPLATE,
            {
                "stamp": stamp,
                "pages": [
                    {"name": f"s{i}", "width": w, "height": h, "rows": range(max(3, int(h // 110)))}
                    for i, (w, h) in enumerate(sizes)
                ],
            },
        )
    data = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return list(PdfReader(BytesIO(data)).pages)


def _form_xobject(writer: PdfWriter, overlay) -> IndirectObject:
    """The overlay page as a Form XObject of `writer`: stored once, drawn on every page of
    its size (merging the page itself would copy its drawing into each page)."""
    form = StreamObject()
    form.set_data(overlay.get_contents().get_data())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in overlay.mediabox),
            NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
        }
    )
    return writer._add_object(form.flate_encode())


def _draw_over(writer: PdfWriter, page, name: str, form, matrix: tuple) -> None:
    """Draw `form` over `page`: the page's own drawing wrapped in q … Q (so whatever state it
    leaves does not bend the stamp), then the form, placed by `matrix`."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    page[NameObject("/Resources")] = resources
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    resources[NameObject("/XObject")] = xobjects
    xobjects[NameObject(name)] = form
    numbers = " ".join(f"{v:.4f}" for v in matrix)
    before, after = StreamObject(), StreamObject()
    before.set_data(b"q\n")
    after.set_data(f"\nQ q {numbers} cm {name} Do Q\n".encode())
    contents = page.get("/Contents")
    streams = [] if contents is None else contents.get_object()
    if not isinstance(streams, ArrayObject):
        streams = ArrayObject([contents])
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *streams, writer._add_object(after)]
    )


def watermark_pdf(data: bytes, stamp: Stamp) -> bytes:
    """`data` with `stamp` over every page; WatermarkFailed when it is not a readable PDF."""
    # pypdf reading a damaged or hostile file can fail in many ways (its own errors, and
    # ValueError, KeyError, TypeError… from inside its parser): each is "not readable".
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise WatermarkFailed("encrypted with a password")
        writer = PdfWriter(clone_from=reader)
        pages = list(writer.pages)
        sizes: list[tuple[float, float]] = []
        for page in pages:
            if page.rotation:  # the stamp is upright as the page is seen
                page.transfer_rotation_to_content()
            size = tuple(round(v, 1) for v in _size(page))
            if size not in sizes and len(sizes) < MAX_OVERLAY_SIZES:
                sizes.append(size)
        overlays = _overlays(sizes, stamp) if pages else []
        forms = [_form_xobject(writer, overlay) for overlay in overlays]
        for page in pages:
            size = tuple(round(v, 1) for v in _size(page))
            index = sizes.index(size) if size in sizes else 0
            width, height = _size(overlays[index])
            box = page.mediabox
            matrix = (
                size[0] / width, 0, 0, size[1] / height, float(box.left), float(box.bottom)
            )  # fmt: skip
            _draw_over(writer, page, f"/Watermark{index}", forms[index], matrix)
        writer.add_metadata({METADATA_KEY: stamp.code})
        out = BytesIO()
        writer.write(out)
    except WatermarkFailed:
        raise
    except Exception as exc:
        raise WatermarkFailed(f"{type(exc).__name__}: {exc}") from exc
    return out.getvalue()


def stamped_code(data: bytes) -> str | None:
    """The code a watermarked copy carries in its metadata (None if it has none)."""
    metadata = PdfReader(BytesIO(data)).metadata or {}
    value = metadata.get(METADATA_KEY)
    return str(value) if value else None
