"""A small crawler for the hostile-input tests: pages, their forms, hostile POSTs, a fingerprint.

Plain functions and small classes, no test of their own; tests/hostile/test_crawl.py drives
them. Pages are parsed with the standard library's html.parser.

* `Page` / `parse_page`: the links and the <form>s of a page (inputs, textareas, selects, named
  submit buttons), as a browser would see them.
* `valid_data`: what a user would send by pressing the button without typing (the page's own
  values), with required empty fields filled with something plain.
* `hostile_requests`: the attacks on one form (see the module docstring of test_crawl.py for
  the combinations and why).
* `fingerprint`: one SQL statement summarising every table of the project's apps.
* `ErrorLog`: the ERROR records with a traceback that Django logged while a block ran.
"""

from __future__ import annotations

import heapq
import html
import inspect
import itertools
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils import timezone

# --- hostile values ------------------------------------------------------------------------

NUL = "甲\x00乙"
LONG = "长" * 200_000
# Each value's label, as it appears in failure reports and in KNOWN_FAULTS.
TEXT_VALUES = {
    "nul": NUL,
    "astral": "𠀀𪚥",
    "rtl-override": "\u202e文本反转",
    "cr-lf": "第一行\r\n第二行\r",
    "formula": "=1+1",
    "at-formula": "@SUM(A1)",
}
DATE_VALUES = {"year-1": "0001-01-01T00:00", "year-9999": "9999-12-31T23:59"}
ID_VALUES = {"id-minus-1": "-1", "id-0": "0", "id-2^63": str(2**63), "id-abc": "abc"}
ALL_VALUES = {**TEXT_VALUES, "long": LONG, **DATE_VALUES, **ID_VALUES}
# Values a form may refuse without showing them again: NUL cannot travel in an HTML page and
# 200,000 characters are not worth echoing; each must be refused with a message instead.
NOT_ECHOED = {"nul", "long"}
MUST_BE_REFUSED = {"nul", "long"}

TEXTY = {"text", "textarea", "email", "tel", "url", "search"}
NUMBERY = {"number", "range"}
DATEY = {"date", "datetime-local", "time", "month", "week"}
CHOICY = {"select", "radio"}
NOT_SENT = {"submit", "button", "reset", "image"}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


# --- pages and forms -------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # the input's type, or "textarea" / "select"
    values: list[str] = field(default_factory=list)  # what the page would send as it stands
    options: list[str] = field(default_factory=list)  # select options / radio and checkbox values
    required: bool = False
    multiple: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    action: str
    enctype: str
    page: str
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    def of_kind(self, kinds) -> list[Field]:
        return [f for f in self.fields.values() if f.kind in kinds]


@dataclass
class Page:
    url: str
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, url):
        super().__init__(convert_charrefs=True)
        self.page = Page(url)
        self.form = None
        self.select = None
        self.option = None
        self.textarea = None
        self.in_form = False
        self.in_template = 0  # inside <template>: inert, as in a browser (a formset's empty row)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "a" and a.get("href"):
            self.page.links.append(urljoin(self.page.url, a["href"]))
        elif tag == "form" and self.in_form:
            return  # a browser ignores a <form> inside a form (its fields join the outer one)
        elif tag == "form":
            self.in_form = True
            if a.get("method", "get").lower() == "post":
                self.form = Form(
                    action=urljoin(self.page.url, a.get("action") or self.page.url),
                    enctype=a.get("enctype", ""),
                    page=self.page.url,
                )
                self.page.forms.append(self.form)
            else:
                self.form = None
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            self._input(a)
        elif tag == "button" and a.get("type", "submit") == "submit" and a.get("name"):
            self.form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea = self._field(a["name"], "textarea", a)
            self.textarea.values = [""]
        elif tag == "select" and a.get("name"):
            self.select = self._field(a["name"], "select", a)
            self.select.multiple = "multiple" in a
        elif tag == "option" and self.select is not None:
            self._end_option()
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}

    def _end_option(self):
        if self.option is None:
            return
        o, self.option = self.option, None
        value = o["value"] if o["value"] is not None else o["text"].strip()
        self.select.options.append(value)
        if o["selected"]:
            self.select.values.append(value)

    def handle_data(self, data):
        if self.in_template:
            return
        if self.textarea is not None:
            self.textarea.values[0] += data
        elif self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "template" and self.in_template:
            self.in_template -= 1
            return
        if self.in_template:
            return
        if tag == "form":
            self.form, self.in_form = None, False
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            value = self.textarea.values[0]
            self.textarea.values[0] = value[1:] if value.startswith("\n") else value
            self.textarea = None
        elif tag == "select" and self.select is not None:
            self._end_option()
            if not self.select.values and not self.select.multiple and self.select.options:
                self.select.values = [self.select.options[0]]  # a browser sends the first
            self.select = None
        elif tag == "option" and self.select is not None:
            self._end_option()

    def _field(self, name, kind, attrs) -> Field:
        f = self.form.fields.get(name)
        if f is None:
            f = Field(name=name, kind=kind, required="required" in attrs, attrs=attrs)
            self.form.fields[name] = f
        return f

    def _input(self, a):
        kind = a.get("type", "text").lower()
        if kind in NOT_SENT:
            if kind == "submit":
                self.form.buttons.append((a["name"], a.get("value", "")))
            return
        f = self._field(a["name"], kind, a)
        if kind in ("checkbox", "radio"):
            value = a.get("value", "on")
            f.options.append(value)
            if "checked" in a:
                f.values.append(value)
        elif kind != "file":
            f.values = [a.get("value", "")]


def parse_page(url: str, content: str) -> Page:
    parser = _Parser(url)
    parser.feed(content)
    parser.close()
    return parser.page


def local_path(url: str) -> str | None:
    """The path (and query) of a link within the site, or None for another site."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- what a form sends ---------------------------------------------------------------------


def _plain_value(f: Field) -> str:
    """Something a careful user would type into an empty required field."""
    if f.kind == "email":
        return "careful.user@example.invalid"
    if f.kind == "tel":
        return "13800138000"
    if f.kind == "url":
        return "https://example.invalid/"
    if f.kind in NUMBERY:
        return f.attrs.get("min") or "1"
    if f.kind == "date":
        return (timezone.localdate() + timedelta(days=7)).isoformat()
    if f.kind == "datetime-local":
        return timezone.localtime(timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    if f.kind == "password":
        return "Hostile-test-2024"
    return "测试填写的内容。"


def valid_data(form: Form) -> dict[str, list[str]]:
    """The POST a user sends without typing, required empty fields filled with plain values."""
    data = {}
    for f in form.fields.values():
        if f.kind == "file":
            continue
        values = list(f.values)
        if f.kind == "select" and f.required and not any(values):
            values = [next((o for o in f.options if o), "")]
        if f.kind == "radio" and f.required and not values and f.options:
            values = [f.options[0]]
        if f.kind not in ("checkbox", "radio", "select") and f.required and not any(values):
            values = [_plain_value(f)]
        if values:
            data[f.name] = values
    return data


def upload_for(f: Field, content: bytes, *, suffix: str | None = None, stem="材料"):
    suffix = suffix or _accepted_suffix(f)
    return SimpleUploadedFile(f"{stem}{suffix}", content)


def _accepted_suffix(f: Field) -> str:
    for token in f.attrs.get("accept", "").split(","):
        token = token.strip()
        if token.startswith("."):
            return token
    return ".pdf"


@dataclass
class Attack:
    """One request: what it sends and which hostile value it carries where."""

    label: str  # the hostile value's label, "file:…" or "valid"
    data: dict
    fields: tuple[str, ...] = ()  # the fields that carry the hostile value
    value: str = ""
    hidden_touched: bool = False

    @property
    def key(self) -> str:
        return f"{self.label}@{','.join(self.fields) or '-'}"


def hostile_requests(form: Form, valid: dict, valid_files: dict) -> list[Attack]:
    """The attacks on one form, in the order they are sent (valid submissions are not here)."""
    visible = [f for f in form.fields.values() if f.kind not in ("hidden", "file", "checkbox")]
    texty = [f for f in visible if f.kind in TEXTY or f.kind == "password"]
    dates = form.of_kind(DATEY)
    idish = [f for f in form.fields.values() if f.kind in NUMBERY | CHOICY | {"checkbox"}]
    hidden = [
        f for f in form.of_kind({"hidden"}) if f.name != "csrfmiddlewaretoken" and f.values != [""]
    ]
    attacks = []

    def attack(label, value, targets, *, hidden_touched=False):
        data = {**valid, **valid_files}
        for f in targets:
            data[f.name] = value
        attacks.append(Attack(label, data, tuple(f.name for f in targets), value, hidden_touched))

    # 1. Every visible field at once, with each text value.
    if texty or form.of_kind(NUMBERY):
        for label, value in TEXT_VALUES.items():
            attack(label, value, visible)
    # 2. Every date field at once, with each date out of range.
    if dates:
        for label, value in DATE_VALUES.items():
            attack(label, value, dates)
    # 3. Every number, choice and checkbox at once, with each impossible id.
    if idish:
        for label, value in ID_VALUES.items():
            attack(label, value, idish)
    # 4. One field at a time among the form's own values: 200,000 characters in each text
    #    field, and in every field one more value, taken in turn from the whole list.
    rotation = list(ALL_VALUES.items())
    for i, f in enumerate(visible):
        if f in texty:
            attack("long", LONG, [f])
        label, value = rotation[i % len(rotation)]
        attack(label, value, [f])
    for i, f in enumerate(hidden):
        label, value = list(ID_VALUES.items())[i % len(ID_VALUES)]
        attack(label, value, [f], hidden_touched=True)
    # 5. Files that are not what their name says, and an empty one.
    for f in form.of_kind({"file"}):
        for label, content, suffix in (
            ("file:png-named-as", PNG, None),
            ("file:text-named-as", "这不是所说的文件。\n".encode(), None),
            ("file:empty", b"", None),
            ("file:pdf-named-csv", PDF, ".csv"),
        ):
            if label == "file:pdf-named-csv" and _accepted_suffix(f) == ".pdf":
                continue
            data = {**valid, **valid_files, f.name: upload_for(f, content, suffix=suffix)}
            attacks.append(Attack(label, data, (f.name,)))
    return attacks


def fresh(data: dict) -> dict:
    """The data again, with each upload rewound (a request reads its files to the end)."""
    out = {}
    for k, v in data.items():
        if isinstance(v, SimpleUploadedFile):
            v.seek(0)
        out[k] = v
    return out


# --- did the page keep what was typed? -------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u202e", "")).strip()


def shows(content: str, typed: str) -> bool:
    """Whether a page shows `typed` again, whitespace and direction marks normalised."""
    return _normal(typed) in _normal(html.unescape(content))


# How this site's templates mark an error: crispy's and Django's classes, the aria-invalid
# Django adds to a field in error, and the small red text of the hand-written tables.
ERROR_MARKERS = (
    'aria-invalid="true"',
    "is-invalid",
    "invalid-feedback",
    "errorlist",
    "alert-danger",
    'class="text-danger small"',
)


def shows_an_error(content: str) -> bool:
    return any(marker in content for marker in ERROR_MARKERS)


def _error_excerpt(content: str) -> str:
    """The text around the first error marker of a page (for failure reports)."""
    at = min((content.find(m) for m in ERROR_MARKERS if m in content), default=-1)
    if at < 0:
        return ""
    return re.sub(r"<[^>]+>|\s+", " ", content[at : at + 600]).strip()[:300]


# --- the database's fingerprint ----------------------------------------------------------------

FINGERPRINTED_APPS = ("accounts", "reform_cases", "reviews", "notifications", "audit")


def _column_summaries(model) -> list[str]:
    """SQL aggregates that change when a row of `model` is added, removed or edited."""
    q = connection.ops.quote_name
    parts = ["COUNT(*)"]
    for f in model._meta.concrete_fields:
        col = q(f.column)
        if isinstance(f, models.BooleanField):
            parts.append(f"SUM(CASE WHEN {col} THEN 1 ELSE 0 END)")
        elif isinstance(f, (models.IntegerField, models.DecimalField, models.FloatField)) or (
            f.is_relation and f.many_to_one
        ):
            parts.append(f"SUM({col})")
            parts.append(f"SUM({col} * {q(model._meta.pk.column)})")
        elif isinstance(f, (models.DateTimeField, models.DateField)):
            parts.append(f"COUNT({col})")
            parts.append(f"MAX({col})")
        elif f.choices:
            cases = " ".join(
                f"WHEN '{value}' THEN {i + 1}" for i, (value, _label) in enumerate(f.flatchoices)
            )
            pk = q(model._meta.pk.column)
            parts.append(f"SUM((CASE {col} {cases} ELSE 0 END) * {pk})")
            parts.append(f"SUM(LENGTH({col}))")
        elif isinstance(f, models.JSONField):
            parts.append(f"SUM(LENGTH(CAST({col} AS TEXT)))")
        elif isinstance(f, (models.CharField, models.TextField, models.FileField)):
            parts.append(f"SUM(LENGTH({col}))")
    return parts


def _fingerprint_sql() -> str:
    q = connection.ops.quote_name
    selects = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in FINGERPRINTED_APPS or not model._meta.managed:
            continue
        parts = ", ".join(_column_summaries(model))
        selects.append(f"(SELECT {parts} FROM {q(model._meta.db_table)}) AS t{len(selects)}")
    return "SELECT * FROM " + " CROSS JOIN ".join(selects)


_SQL = {}


def fingerprint() -> tuple:
    """Counts and sums of every column of every table of the project's apps, in one query."""
    sql = _SQL.get(connection.vendor)
    if sql is None:
        sql = _SQL[connection.vendor] = _fingerprint_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(str(v) for v in cursor.fetchone())


# --- errors logged -----------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Collects the ERROR records with a traceback of django.request (and anything else)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []
        self._seen = set()

    def emit(self, record):
        if record.exc_info and id(record) not in self._seen:
            self._seen.add(id(record))
            self.records.append(record)

    def __enter__(self):
        logging.getLogger("django.request").addHandler(self)
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger("django.request").removeHandler(self)
        logging.getLogger().removeHandler(self)

    def take(self) -> list[str]:
        out = [self.format(r) for r in self.records]
        self.records.clear()
        return out


# --- the crawl ---------------------------------------------------------------------------------


@dataclass
class Problem:
    role: str
    url_name: str
    path: str
    key: str  # "<value label>@<fields>" of the request, "GET" for a page
    what: str
    detail: str = ""

    def __str__(self):
        detail = f"\n{self.detail}" if self.detail else ""
        return f"[{self.role}] {self.url_name} {self.path} {self.key}: {self.what}{detail}"


def view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level >= constants.ERROR]


class Crawler:
    """Walks the pages a signed-in client reaches and attacks every POST form it finds.

    Each form is attacked inside a savepoint that is rolled back afterwards, so every form
    meets the scene as it was built (an accepted valid submission does not use up the case
    the next form needs). Forms found on the pages that a valid submission leads to (an
    import's preview, a case after its acceptance) are attacked there and then, inside the
    same savepoint, up to `max_depth` steps away.
    """

    def __init__(
        self,
        client,
        *,
        role,
        user=None,
        skip_links=frozenset(),
        skip_forms=frozenset(),
        valid_overrides=None,
        valid_files=None,
        saves_and_shows=frozenset(),
        max_pages=400,
        per_name=20,
        max_depth=2,
    ):
        self.client = client
        self.client.raise_request_exception = False
        self.role, self.user = role, user
        self.skip_links, self.skip_forms = skip_links, skip_forms
        self.valid_overrides = valid_overrides or {}
        self.valid_files = valid_files or {}
        self.saves_and_shows = saves_and_shows
        self.max_pages, self.per_name, self.max_depth = max_pages, per_name, max_depth
        self.pages = []  # paths opened
        self.posted = set()  # URL names POSTed to
        self.attacked = set()  # (URL name, field names) of the forms attacked
        self.hostile_sent = 0  # hostile requests (double submissions not counted)
        self.requests_sent = 0
        self.problems: list[Problem] = []
        self.log = None
        self._fingerprint = None

    # --- pages

    def run(self, start_pages) -> Crawler:
        """Breadth first, the least visited URL name first, `per_name` pages of each (two
        of each with a query string), `max_pages` in all."""
        with ErrorLog() as self.log:
            queue, seen, visits = [], set(), Counter()
            order = itertools.count()

            def push(path):
                name = view_name(path)
                if path in seen or name is None or name in self.skip_links:
                    return
                seen.add(path)
                shape = (name, "?" in path)
                heapq.heappush(queue, (visits[shape], next(order), path, shape))

            for path in start_pages:
                push(path)
            while queue and len(self.pages) < self.max_pages:
                priority, _n, path, shape = heapq.heappop(queue)
                if priority < visits[shape]:  # others of its name were opened meanwhile
                    heapq.heappush(queue, (visits[shape], next(order), path, shape))
                    continue
                if visits[shape] >= (2 if shape[1] else self.per_name):
                    continue
                visits[shape] += 1
                r = self.client.get(path)
                self._fingerprint = None
                self.requests_sent += 1
                self._check_logged_and_status(shape[0], path, "GET", r)
                if r.status_code in (301, 302, 303):
                    target = local_path(urljoin(path, r["Location"]))
                    if target:
                        push(target)
                    continue
                if r.status_code != 200 or "html" not in r.get("Content-Type", ""):
                    continue
                self.pages.append(path)
                page = parse_page(path, r.content.decode())
                for link in page.links:
                    target = local_path(link)
                    if target:
                        push(target)
                for form in page.forms:
                    self.attack_form(form)
        return self

    # --- forms

    def attack_form(self, form: Form, depth=0):
        path = local_path(form.action)
        name = view_name(path) if path else None
        if name is None or name in self.skip_forms:
            return
        # Formset rows are numbered: a form with three tier rows is the same form as with two,
        # but a formset with saved rows is not the same as an empty one.
        saved_rows = any(n.endswith("-id") and any(f.values) for n, f in form.fields.items())
        fields = tuple(sorted({re.sub(r"-\d+-", "-N-", f) for f in form.fields}))
        key = (name, fields, saved_rows)
        if key in self.attacked:
            return
        self.attacked.add(key)
        self.posted.add(name)
        valid = valid_data(form)
        override = self.valid_overrides.get(name)
        if override:
            valid.update({k: v for k, v in override(form).items() if k in form.fields})
        valid_files = {
            f.name: self.valid_files.get(name, lambda f: upload_for(f, PDF))(f)
            for f in form.of_kind({"file"})
            if f.required or name in self.valid_files
        }
        with transaction.atomic():
            for attack in hostile_requests(form, valid, valid_files):
                self.hostile_sent += 1
                self.send(name, path, form, attack)
            # The same valid POST twice, with each named button (a double click).
            last = None
            for button in form.buttons or [None]:
                data = dict(valid)
                if button:
                    data[button[0]] = button[1]
                for _ in range(2):
                    last = self.send(name, path, form, Attack("valid", {**data, **valid_files}))
            if last is not None and depth < self.max_depth:
                for found in self._forms_after(last):
                    self.attack_form(found, depth + 1)
            transaction.set_rollback(True)
        self._fingerprint = None
        cache.clear()
        if self.user is not None:
            self.client.force_login(self.user)

    def _forms_after(self, response) -> list[Form]:
        hops = 0
        while response.status_code in (301, 302, 303) and hops < 3:
            target = local_path(urljoin(response.request["PATH_INFO"], response["Location"]))
            if not target or view_name(target) in self.skip_links:
                return []
            response = self.client.get(target)
            self._fingerprint = None
            self.requests_sent += 1
            hops += 1
            self._check_logged_and_status(view_name(target), target, "GET", response)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return []
        return parse_page(response.request["PATH_INFO"], response.content.decode()).forms

    def send(self, name, path, form, attack: Attack):
        # The fingerprint after one POST is the one before the next (a GET or a rollback in
        # between forgets it): one query per request.
        before = self._fingerprint if self._fingerprint is not None else fingerprint()
        # Messages left over from an earlier refusal would be taken for this request's.
        self.client.cookies.pop("messages", None)
        r = self.client.post(path, fresh(attack.data))
        self.requests_sent += 1
        status = r.status_code
        self._check_logged_and_status(name, path, attack.key, r)
        if status >= 500:
            self._fingerprint = None
            return r
        content = r.content.decode(errors="replace") if status == 200 else ""
        errors = error_messages(r) if status in (301, 302, 303) else []
        shown_error = status == 200 and shows_an_error(content)
        refused = shown_error or 400 <= status < 500 or bool(errors)
        accepted = not refused and status in (301, 302, 303)
        if status == 405 and attack.label == "valid":
            self.problem(name, path, attack.key, "405: the form posts to a view that refuses POST")
        self._fingerprint = after = fingerprint()
        if not accepted and name not in self.saves_and_shows and after != before:
            what = "refused" if refused else "answered without an error"
            why = "; ".join(errors) or _error_excerpt(content)
            self.problem(
                name, path, attack.key, f"data changed by a request {what} ({status})", why
            )
        if attack.label in MUST_BE_REFUSED and accepted:
            self.problem(name, path, attack.key, f"accepted ({status}): must be refused")
        if status == 200 and refused and not attack.hidden_touched:
            self._check_kept(name, path, form, attack, content)
        return r

    def _check_kept(self, name, path, form, attack, content):
        if attack.label in NOT_ECHOED or not attack.fields:
            return
        for field_name in attack.fields:
            f = form.fields.get(field_name)
            if f is not None and f.kind in TEXTY and not shows(content, attack.value):
                self.problem(name, path, attack.key, f"input lost: {field_name!r} not shown again")
                return

    def _check_logged_and_status(self, name, path, key, response):
        logged = self.log.take()
        if response.status_code >= 500:
            self.problem(name, path, key, f"{response.status_code}", "\n".join(logged)[-3000:])
        elif logged:
            self.problem(name, path, key, "ERROR logged with a traceback", logged[0][-3000:])

    def problem(self, name, path, key, what, detail=""):
        self.problems.append(Problem(self.role, name or "?", path, key, what, detail))


# --- the URL configuration ---------------------------------------------------------------------


def url_names(patterns=None, namespace=""):
    """(URL name, view callback) of every pattern of the URL configuration, recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from url_names(p.url_patterns, ns)
        elif p.name:
            yield ":".join(x for x in (namespace, p.name) if x), p.callback


def accepts_post(callback) -> bool:
    """Whether a view takes POST: a class-based view with post(), or a function whose source
    (decorators included) mentions POST or request.FILES, or that calls a helper of its
    module which does (upload_step, a shared handler)."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post") and "post" in view_class.http_method_names
    function = inspect.unwrap(callback)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    if re.search(r"\bPOST\b|request\.FILES|require_POST", source):
        return True
    # A view that hands `request` to a helper which reads the POST.
    module = inspect.getmodule(function)
    for called in re.findall(r"\b([a-z_][a-z0-9_]*)\(\s*request\b", source):
        helper = getattr(module, called, None)
        if helper is None or helper is function or not callable(helper):
            continue
        try:
            helper_source = inspect.getsource(inspect.unwrap(helper))
        except (OSError, TypeError):
            continue
        if re.search(r"\bPOST\b|request\.FILES", helper_source):
            return True
    return False
