"""Helpers that read or sign in, shared by the tests (plain functions).

Test data is built in tests/factories.py; fixtures live in conftest.py.
"""

import csv
import re
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from reform_cases.models import Case, Field, Tier

REFERENCE_CSV = Path(settings.BASE_DIR) / "fixtures" / "reference" / "results-2020.csv"
DIVISIONS_CSV = Path(settings.BASE_DIR) / "fixtures" / "reference" / "zhejiang-divisions.csv"

# Tier column of results-2020.csv → the award as the site names it.
AWARD_NAMES = {"best": "最佳实践案例", "excellent": "优秀实践案例", "selected": "入选(等次未公布)"}


def reference_rows():
    """The 12 rows of results-2020.csv (the repository's copy), as dictionaries."""
    with REFERENCE_CSV.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def division_rows():
    with DIVISIONS_CSV.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def city(name):
    return Organisation.objects.get(name=name, kind=OrganisationKind.CITY, parent__isnull=True)


def field(name):
    return Field.objects.get(name=name)


def tier_2020(code):
    return Tier.objects.get(campaign__year=2020, campaign__is_demo=False, code=code)


def case_2020(title):
    return Case.objects.get(campaign__year=2020, campaign__is_demo=False, title=title)


def unit_names(case):
    """Submitting unit first, then the co-implementing units."""
    units = [case.organisation] if case.organisation else []
    units += list(case.co_organisations.order_by("name"))
    return [u.name for u in units]


def section(html: str, element_id: str) -> str:
    """The text of the <section id="…"> of a page, or "" when it is absent."""
    match = re.search(
        rf'<section[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</section>', html, re.S
    )
    return match.group(1) if match else ""


ROLES = ("anonymous", "locality", "other_locality", "expert", "administrator", "deactivated")


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the request queued."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def message_text(response) -> str:
    return " ".join(text for _, text in messages_of(response))


def client_of(user):
    """A Client signed in as `user`; `client.user` is the user."""
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def mailed_link(address: str, path_start: str) -> str:
    """The newest absolute link to `path_start…` in the text of the e-mails sent to `address`.

    Invitation and reset links exist only in the e-mail (mail.outbox), never in the outbox row.
    """
    from django.core import mail

    for message in reversed(mail.outbox):
        if address in message.to:
            for link in re.findall(r"https?://[^\s\"'<>]+", message.body):
                if urlsplit(link).path.startswith(path_start):
                    return link
    raise AssertionError(f"no e-mail to {address} with a link to {path_start}")


def score_url(assignment):
    return reverse("reviews:score", kwargs={"pk": assignment.pk})


def shanghai(dt, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(dt).strftime(fmt)


def expert_row(html, name):
    """(done / assigned, drafts) of the expert's row on the progress page."""
    match = re.search(
        rf"<tr><td><a [^>]*>{re.escape(name)}</a></td><td>([^<]*)</td><td>([^<]*)</td>", html
    )
    assert match, f"no row for {name}"
    return match.group(1), match.group(2), match.end()


def totp_code(key_or_device, *, steps_ahead=0) -> str:
    """The 6-digit code an authenticator app shows now (or `steps_ahead` steps of 30 s later)."""
    from binascii import unhexlify

    from django_otp.oath import totp

    key = getattr(key_or_device, "key", key_or_device)
    return f"{totp(unhexlify(key), drift=steps_ahead):06d}"


# --- deploy/: the operator's files, as the tests run them -----------------------------------

DEPLOY = Path(settings.BASE_DIR) / "deploy"
NGINX_CONF = DEPLOY / "nginx" / "reform-awards.conf"
# The values deploy/nginx/reform-awards.conf marks `# edit: <what>` (its header says so).
NGINX_EDIT_MARK = re.compile(
    r"(?m)^(?P<indent>\s*)(?P<directive>[^#\n]*?);\s*#\s*edit:\s*(?P<what>\w+)\s*$"
)


def nginx_edited(*, listen: str, nodes: list[str], static_root: str, access_log: str) -> str:
    """deploy/nginx/reform-awards.conf with only its `# edit:` lines given these values."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    node_lines = iter(nodes)
    seen = Counter()

    def replace(match):
        what, directive, indent = match["what"], match["directive"], match["indent"]
        seen[what] += 1
        if what == "listen":
            return f"{indent}listen {listen};"
        if what == "static":
            return f"{indent}alias {static_root.rstrip('/')}/;"
        if what == "log":
            return f"{indent}access_log {access_log} reform_awards;"
        if what == "node":
            # The first marked line carries every node given; the operator's others go.
            if seen[what] > 1:
                return ""
            options = directive.split(None, 2)[2] if len(directive.split()) > 2 else ""
            return "\n".join(f"{indent}server {node} {options};" for node in node_lines)
        raise AssertionError(f"unknown edit mark {what!r} in {NGINX_CONF}")

    edited = NGINX_EDIT_MARK.sub(replace, text)
    assert set(seen) == {"listen", "static", "log", "node"}, seen
    return edited


def nginx_wrapper(prefix: Path, fragment: str, *, user_root: bool = False) -> Path:
    """A top-level nginx.conf in `prefix` that includes `fragment` as nginx's conf.d would.

    Every path nginx writes (pid, logs, temporary files) is inside `prefix`.
    """
    (prefix / "reform-awards.conf").write_text(fragment, encoding="utf-8")
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    mime_types = Path("/etc/nginx/mime.types")
    wrapper = prefix / "nginx.conf"
    wrapper.write_text(
        # As root nginx would switch its workers to `nobody`, who cannot read the prefix.
        ("user root;\n" if user_root else "")
        + "worker_processes 1;\n"
        + f"pid {prefix / 'nginx.pid'};\n"
        + f"error_log {prefix / 'error.log'};\n"
        + "events { worker_connections 256; }\n"
        + "http {\n"
        + (f"    include {mime_types};\n" if mime_types.exists() else "")
        + f"{temp_paths}\n"
        + f"    include {prefix / 'reform-awards.conf'};\n"
        + "}\n",
        encoding="utf-8",
    )
    return wrapper


def systemd_unit(name: str) -> dict[str, list[str]]:
    """The `Key=value` lines of deploy/systemd/<name> (every value of a key, in order)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


def unit_command(name: str) -> list[str]:
    """ExecStart of a unit as argv: `%%` is systemd's escape for a literal `%`."""
    import shlex

    (exec_start,) = systemd_unit(name)["ExecStart"]
    return [arg.replace("%%", "%") for arg in shlex.split(exec_start)]


def local_command(argv: list[str]) -> list[str]:
    """A unit's command with its virtualenv's program taken from this checkout's."""
    import sys

    program = Path(sys.executable).with_name(Path(argv[0]).name)
    return [str(program), *argv[1:]]


# --- processes beside the test: Celery workers, web nodes --------------------------------------


def shared_database_url() -> str | None:
    """The test database as a URL another process's settings (django-environ) understand.

    None unless it is PostgreSQL: another process cannot share an SQLite test database.
    """
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def redis_url_with_db(number: int) -> str | None:
    """REDIS_URL with another database number (one of its own for each kind of test)."""
    import os
    from urllib.parse import urlunsplit

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        return None
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{number}"))


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url`, dropping pooled connections to the old one."""
    from config.celery import app as celery_app

    celery_app.conf.broker_url = url
    # Dropped, not closed: kombu keeps one pool per broker URL and hands the same one back.
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def publishing_to(url: str):
    """Tasks this process enqueues go to the broker at `url` instead of running in process."""
    from config.celery import app as celery_app

    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    use_broker(url)
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved[0]
        use_broker(saved[1])


MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between messages in a file-backend file


def file_backend_messages(mail_dir: Path) -> list:
    """Every e-mail Django's file backend wrote into `mail_dir`, parsed (headers decoded)."""
    import email
    import email.policy

    found = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(MAIL_SEPARATOR):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found


# --- PDFs: their fonts and their pages as pictures ----------------------------------------------


def embedded_fonts(data: bytes) -> set[str]:
    """The base names of the fonts a PDF embeds, without the subset prefix (ABCDEF+Name)."""
    import io

    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def rasterise_pdf(data: bytes, folder: Path, stem: str, *, scale: float = 1.5) -> list[Path]:
    """Each page of the PDF drawn by PDFium (pypdfium2) into folder/<stem>-p<n>.png — the
    document as a reader sees it, where headless Chromium shows no PDF."""
    import pypdfium2

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    document = pypdfium2.PdfDocument(data)
    try:
        for number, page in enumerate(document, start=1):
            path = folder / f"{stem}-p{number}.png"
            page.render(scale=scale).to_pil().save(path)
            paths.append(path)
    finally:
        document.close()
    return paths


def ink_share(path: Path, *, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> float:
    """The share of dark pixels (grey < 128) in `box` (fractions of width and height) of the
    picture at `path`: 0 for a blank region."""
    from PIL import Image

    with Image.open(path) as picture:
        width, height = picture.size
        left, top, right, bottom = box
        region = picture.convert("L").crop(
            (int(left * width), int(top * height), int(right * width), int(bottom * height))
        )
        counts = region.histogram()  # pixels per grey level 0 … 255
    return sum(counts[:128]) / max(1, sum(counts))


# --- races: calls released together ---------------------------------------------------------


def run_together(*calls, timeout: float = 30.0) -> list:
    """Run each call in a thread of its own, all released at once by a barrier, each with
    its own database connection (closed after): their results, in the calls' order.

    Fails the test with every exception a call raised (a 500 under the test client raises)
    and when a call has not finished after `timeout` seconds. For races that need row locks,
    so PostgreSQL, in a `django_db(transaction=True)` test.
    """
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), f"a call still runs after {timeout} s"
    assert not errors, errors
    return results
