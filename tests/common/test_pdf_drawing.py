"""common/pdf_drawing.py: one font configuration per thread, reused by every drawing (a new
one per document left pango's memory behind: BENCHMARKS.md bench:bundle)."""

import threading

import weasyprint

from common import pdf_drawing

HTML = '<html lang="zh-Hans"><body><p>字体配置</p></body></html>'


def _recording(monkeypatch):
    seen = []
    original = weasyprint.HTML.write_pdf

    def write_pdf(self, *args, **kwargs):
        seen.append(kwargs.get("font_config"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", write_pdf)
    return seen


def test_drawings_in_one_thread_share_one_font_configuration(monkeypatch):
    seen = _recording(monkeypatch)

    first, second = pdf_drawing.draw_pdf(HTML), pdf_drawing.draw_pdf(HTML)

    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert seen[0] is not None and seen[0] is seen[1]


def test_another_thread_draws_with_a_font_configuration_of_its_own(monkeypatch):
    seen = _recording(monkeypatch)
    pdf_drawing.draw_pdf(HTML)
    thread = threading.Thread(target=pdf_drawing.draw_pdf, args=(HTML,))
    thread.start()
    thread.join(timeout=60)

    assert len(seen) == 2 and seen[0] is not seen[1]  # a pango font map is not thread-safe
