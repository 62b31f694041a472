"""A light diagonal watermark on every page of a PDF, naming who took the copy.

Each copy carries the reader's name, the time of the download and a short code (recorded in
the download log, so a leaked copy leads back to one download). The text is drawn in an
overlay rendered by WeasyPrint once per download — one overlay page per distinct page size,
all in one rendering — stored once in the copy as a Form XObject and drawn over each page
(a few bytes per page); the original bytes are never changed. The code is also written,
upright and small, at the foot of every page (where a faint diagonal may not survive a
photocopy) and into the document's metadata (`/WatermarkCode`), which a cropped or
re-typeset page does not lose.

pypdf (with the cryptography and imaging packages it loads, ≈ 28 MB) is imported on first use,
from reviews/documents/pdf_pages.py: a web process that never stamps a copy does not carry it.
"""

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from common.pdf_drawing import draw_pdf

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


def _overlays(sizes: list[tuple[float, float]], stamp: Stamp) -> list:
    """One overlay page per size, in order (one WeasyPrint rendering)."""
    from reviews.documents.pdf_pages import pages_of

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
    data = draw_pdf(html, str(settings.BASE_DIR))
    return pages_of(data)


def watermark_pdf(data: bytes, stamp: Stamp) -> bytes:
    """`data` with `stamp` over every page; WatermarkFailed when it is not a readable PDF."""
    from reviews.documents.pdf_pages import PdfReader, PdfWriter, draw_over, form_xobject
    from reviews.documents.pdf_pages import size as page_size

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
            size = tuple(round(v, 1) for v in page_size(page))
            if size not in sizes and len(sizes) < MAX_OVERLAY_SIZES:
                sizes.append(size)
        overlays = _overlays(sizes, stamp) if pages else []
        forms = [form_xobject(writer, overlay) for overlay in overlays]
        for page in pages:
            size = tuple(round(v, 1) for v in page_size(page))
            index = sizes.index(size) if size in sizes else 0
            width, height = page_size(overlays[index])
            box = page.mediabox
            matrix = (
                size[0] / width, 0, 0, size[1] / height, float(box.left), float(box.bottom)
            )  # fmt: skip
            draw_over(writer, page, f"/Watermark{index}", forms[index], matrix)
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
    from reviews.documents.pdf_pages import PdfReader

    metadata = PdfReader(BytesIO(data)).metadata or {}
    value = metadata.get(METADATA_KEY)
    return str(value) if value else None
