"""Pages of PDFs with pypdf: what reviews/documents/watermark.py stamps with, and the pages
the committee's bundle joins. Imported on first use by those modules (pypdf loads the
cryptography and imaging packages, ≈ 28 MB)."""

from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

__all__ = ["PdfReader", "PdfWriter", "draw_over", "form_xobject", "pages_of", "size"]


def pages_of(data: bytes) -> list:
    return list(PdfReader(BytesIO(data)).pages)


def size(page) -> tuple[float, float]:
    box = page.mediabox
    return float(box.width), float(box.height)


def form_xobject(writer: PdfWriter, overlay) -> IndirectObject:
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


def draw_over(writer: PdfWriter, page, name: str, form, matrix: tuple) -> None:
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
