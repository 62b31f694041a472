"""PDFs drawn in a short-lived child process, so that a long job's memory stays flat.

A WeasyPrint render costs the process about 60 MB and leaves its fonts (the CJK font's
16 MB) in reference cycles; the committee's bundle draws hundreds of 申报书 in one Celery
task, and the worker grew with each (bench/bundle.py). With `PDF_RENDER_PROCESS` on (the
default) the drawing runs in a spawned process that imports WeasyPrint and nothing of
Django — the HTML is made by the caller, with its database — and that process is replaced
after `RENDERS_PER_CHILD` drawings. Off (the tests' setting), it runs in the caller.
"""

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

RENDERS_PER_CHILD = 25


def _fetch_nothing(url, *args, **kwargs):
    """Markup made from what users typed fetches no file and calls no server."""
    raise ValueError(f"this document fetches nothing ({url})")


def draw_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of `html`. With `base_url` (a folder of our own templates) it may read its
    style sheets from there; without, it may read nothing."""
    # Imported here: WeasyPrint (and pango) load when a PDF is first drawn.
    from weasyprint import HTML

    if base_url is None:
        return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()
    return HTML(string=html, base_url=base_url).write_pdf()


def _draw_in_child(html: str, base_url: str | None) -> bytes:
    pdf = draw_pdf(html, base_url)
    # A render leaves its fonts in reference cycles (≈ 16 MB, the CJK font): collected here,
    # the child stays near one render's size (≈ 100 MB) for all its drawings.
    gc.collect()
    return pdf


class PdfDrawer:
    """`with PdfDrawer(in_child=True) as draw: pdf = draw(html)` — one child at a time."""

    def __init__(self, *, in_child: bool):
        self.in_child = in_child
        self._pool = None

    def __enter__(self):
        if self.in_child:
            # spawn, not fork: the child must not share the caller's database connections,
            # and Python refuses max_tasks_per_child with fork.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=RENDERS_PER_CHILD,
            )
        return self

    def __call__(self, html: str, base_url: str | None = None) -> bytes:
        if self._pool is None:
            return draw_pdf(html, base_url)
        return self._pool.submit(_draw_in_child, html, base_url).result()

    def __exit__(self, *exc_info):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
