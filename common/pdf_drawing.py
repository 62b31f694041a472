"""Every PDF the platform draws (申报书, certificate, watermark overlay, committee bundle) is
drawn here, by WeasyPrint, imported on first use (it and pango load only in a process that
draws).

One font configuration per thread, reused by every drawing: WeasyPrint makes a new one (a
pango font map) per document by default, and each left ≈ 200 KB behind in C memory — a worker
drawing the 250 申报书 of a committee bundle grew by 50 MB (bench/bundle.py). A font map is
not thread-safe, hence one per thread. The documents use no @font-face, so nothing a document
says is kept for the next.

Memory per drawing: with WenQuanYi Micro Hei (the documents' font, 5 MB, outlines only) a
申报书 costs about 14 MB while it is drawn, given back after (the 16 MB Zen Hei cost ≈ 60 MB:
fontTools subsets the font file in every drawing). WeasyPrint leaves the layout in reference
cycles, so a long job collects after each drawing (reviews/documents/bundle.py).
"""

import ctypes
import gc
import threading

_local = threading.local()


def _fetch_nothing(url, *args, **kwargs):
    """Markup made from what users typed fetches no file and calls no server."""
    raise ValueError(f"this document fetches nothing ({url})")


def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
    return _local.font_config


def draw_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of `html`. With `base_url` (a folder of our own templates) it may read its
    style sheets from there; without, it may read nothing."""
    from weasyprint import HTML

    if base_url is None:
        document = HTML(string=html, url_fetcher=_fetch_nothing)
    else:
        document = HTML(string=html, base_url=base_url)
    return document.write_pdf(font_config=_font_config())


def release_memory() -> None:
    """Collect WeasyPrint's reference cycles and hand freed heap pages back to the system.

    A drawing's layout is freed in many small blocks; glibc keeps them for reuse, so a long
    job's resident size stays at its highest point. `malloc_trim` returns them (glibc only;
    elsewhere the collection alone).
    """
    gc.collect()
    if _libc is not None:
        _libc.malloc_trim(0)


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 — present on glibc only
    except (OSError, AttributeError):
        return None
    return libc


_libc = _glibc()
