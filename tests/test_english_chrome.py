"""English that reads as English: no Chinese punctuation in the English pages' chrome.

Chinese punctuation typed into a template outside {% translate %} (the list mark 、
between items, full-width colons, parentheses, full stops) shows unchanged in the English
pages. Two checks:

* the template sources: outside {% translate %}/{% blocktranslate %} and comments, no
  template holds such a mark (500.html is static and bilingual on purpose: it must render
  when nothing else can, so it holds both languages, each marked with its lang);
* the rendered pages: every role crawls its pages (tests/test_csp.py's crawl and world)
  with the language cookie set to English; in each text node and each readable attribute
  (placeholder, title, aria-label, alt, data-confirm), after the text that comes from the
  database (case titles, organisation names...: Chinese data) is taken out, no such mark
  stands next to non-Chinese text. (A Chinese mark between Chinese characters is an
  untranslated message, which test_translations.py's complete-catalogue test reports.)

Strings that are both an event and a button use pgettext contexts, so English can say
"Submitted" in a case's record and "Submit" on its button.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.template import Context, Template
from django.utils import translation

from common.lists import join_list
from reform_cases.models import CaseEventKind
from reviews.models import RoundEventKind
from tests.page_crawl import client_for_world, crawl, url_name

# The same pages on PostgreSQL would check nothing more: the SQLite pass runs it.
pytestmark = pytest.mark.engine_neutral

TEMPLATES = Path(settings.BASE_DIR) / "templates"
BILINGUAL = {"500.html"}  # static: both languages on the page, each with its lang
# 、，：；。（）【】《》, written as escapes so that no editor folds them into ASCII.
CHINESE_MARKS = "\u3001\uff0c\uff1a\uff1b\u3002\uff08\uff09\u3010\u3011\u300a\u300b"
MARK = re.compile(f"[{CHINESE_MARKS}]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u201c\u201d]")  # and the quotes around Chinese
LATIN = re.compile(r"[A-Za-z0-9\x00]")  # \x00 stands for a piece of data taken out
TRANSLATED = re.compile(
    r"\{%\s*(?:translate|trans)\s.*?%\}"
    r"|\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    re.S,
)
READABLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "data-confirm"}
ROLES = ("anonymous", "locality", "expert", "administrator")


def untranslated_marks(source: str) -> list[tuple[int, str]]:
    """(line, excerpt) of each Chinese mark outside translated blocks and comments."""
    outside = TRANSLATED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    return [
        (source.count("\n", 0, m.start()) + 1, source[max(0, m.start() - 40) : m.end() + 20])
        for m in MARK.finditer(outside)
    ]


def test_no_template_types_chinese_punctuation_outside_translated_text():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.*")):
        if path.name in BILINGUAL or path.suffix not in (".html", ".txt"):
            continue
        for line, excerpt in untranslated_marks(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {excerpt!r}")
    assert not problems, "\n".join(problems)


def test_the_source_check_sees_a_typed_mark_and_spares_translated_ones():
    assert untranslated_marks('{% translate "名称" %}:{{ a|join:"、" }}') == [
        (1, '{% translate "名称" %}:{{ a|join:"、" }}')
    ]
    assert untranslated_marks('{% translate "甲、乙" %}{% blocktranslate %}丙:{{ x }}{% endblocktranslate %}') == []  # fmt: skip


class Readable(HTMLParser):
    """The text nodes and readable attribute values of a page (scripts and styles left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.chunks.extend(value for name, value in attrs if name in READABLE_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data)


def database_text() -> list[str]:
    """Every non-empty text value stored in the database, longest first."""
    values = set()
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        for row in model._default_manager.values_list(*names) if names else []:
            values.update(str(v).strip() for v in row if v and str(v).strip())
    return sorted(values, key=len, reverse=True)


def marks_next_to_english(chunk: str, data: list[str]) -> list[str]:
    """The Chinese marks of a chunk that are chrome: data taken out, next to non-Chinese.

    A mark next to a Latin letter, a digit or a piece of data, or with no Chinese on either
    side, is typed into the page; one inside Chinese text (an untranslated message: the
    catalogue test's business) is not.
    """
    if not MARK.search(chunk):
        return []
    text = " ".join(chunk.split())
    if HAN.search(text) and any(text in value for value in data):
        return []  # a piece of stored text (a paragraph of a case, a truncated title)
    for value in data:
        if value in text:
            text = text.replace(value, "\x00")
    found = []
    for m in MARK.finditer(text):
        before = text[: m.start()].rstrip()[-1:]
        after = text[m.end() :].lstrip()[:1]
        chinese_side = HAN.match(before) or HAN.match(after)
        if LATIN.match(before) or LATIN.match(after) or not chinese_side:
            found.append(text[max(0, m.start() - 30) : m.end() + 30].replace("\x00", "«data»"))
    return found


def test_the_page_check_sees_a_mark_between_english_words_but_not_in_data():
    data = ["浙江省杭州市", "甲、乙"]
    assert marks_next_to_english("Fields: Best practice、Excellent practice", data)
    assert marks_next_to_english("Co-implementing units 浙江省杭州市、浙江省杭州市", data)
    assert not marks_next_to_english("Co-implementing units 浙江省杭州市, 浙江省杭州市", data)
    assert not marks_next_to_english("Title: 甲、乙", data)
    assert not marks_next_to_english("尚未翻译的句子\uff0c仍是中文\u3002", data)
    assert marks_next_to_english("Reason\uff1a none", data)
    assert marks_next_to_english("\u3001", data)  # a text node between two links
    assert not marks_next_to_english("0 files per «x». 上传时会同时保存上面填写的内容\u3002", data)


@pytest.mark.parametrize("role", ROLES)
def test_english_pages_of_every_role_hold_no_chinese_punctuation_outside_data(
    role, client_for, request
):

    scene = request.getfixturevalue("world")  # tests/test_csp.py's: a page of every kind
    client = client_for_world(role, client_for, scene)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = crawl(client)
    data = database_text()
    problems, reached = [], set()
    for url, response in pages.items():
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        reached.add(url_name(url))
        html = response.content.decode()
        assert '<html lang="en">' in html, url
        parser = Readable()
        parser.feed(html)
        for chunk in parser.chunks:
            problems.extend(f"{url}: {found!r}" for found in marks_next_to_english(chunk, data))
    assert not problems, "\n".join(sorted(set(problems)))
    assert len(reached) >= {"anonymous": 5, "locality": 8, "expert": 6}.get(role, 25), reached


def test_join_list_uses_the_list_mark_of_the_language():
    template = Template("{% load chrome %}{{ items|join_list }}|{% for i in items %}{{ i }}{% if not forloop.last %}{% list_mark %}{% endif %}{% endfor %}")  # fmt: skip
    context = Context({"items": ["甲<b>", "乙"]})
    with translation.override("en"):
        assert template.render(context) == "甲&lt;b&gt;, 乙|甲&lt;b&gt;, 乙"
        assert join_list(["a", "b", "c"]) == "a, b, c"
    with translation.override("zh-hans"):
        assert template.render(context) == "甲&lt;b&gt;、乙|甲&lt;b&gt;、乙"
        assert join_list(["a", "b"]) == "a、b"


def test_events_and_buttons_can_differ_in_english():
    """The record says what happened, the button what to do: separate msgids by context."""
    with translation.override("zh-hans"):
        assert str(CaseEventKind.SUBMITTED.label) == "提交"
        assert str(RoundEventKind.RANKING_LOCKED.label) == "锁定排名"
        assert (
            Template('{% load i18n %}{% translate "提交" context "button" %}').render(Context())
            == "提交"
        )
    assert CaseEventKind.SUBMITTED.label._args == ("event", "提交")
    assert RoundEventKind.RANKING_LOCKED.label._args == ("event", "锁定排名")
