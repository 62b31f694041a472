"""The request body ceiling: MAX_REQUEST_BYTES, its 413 page, and the nginx fragment that
enforces the same figure in front of the application."""

import re
import shutil
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reform_cases.models import AttachmentKind, CampaignStatus, Objection
from reform_cases.publication.forms import ObjectionForm
from reform_cases.submission.services import MAX_ATTACHMENT_BYTES
from tests.factories import CampaignFactory, draft_case, open_campaign
from tests.helpers import nginx_edited, nginx_wrapper

NGINX_CONF = Path(settings.BASE_DIR) / "deploy" / "nginx" / "reform-awards.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TOO_LARGE_TITLE = "提交的内容过大"
UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_directives(name):
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text(encoding="utf-8"))
    return re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)


def nginx_size(value):
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value.strip()).groups()
    return int(number) * UNITS[unit.lower()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def pdf(size, name="材料.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9), "application/pdf")


# --- the setting ----------------------------------------------------------------------------


def test_the_ceiling_admits_every_legitimate_upload_and_little_more():
    largest = max(MAX_ATTACHMENT_BYTES, ObjectionForm.MAX_FILE_BYTES, settings.IMPORT_MAX_BYTES)
    assert largest == MAX_ATTACHMENT_BYTES  # 20 MB: attachments (and call-for-entries files)
    assert largest < settings.MAX_REQUEST_BYTES <= largest + 2 * 1024 * 1024


# --- the 413 page ---------------------------------------------------------------------------


def test_an_oversized_objection_gets_413_in_chinese_and_nothing_is_stored(client, db, media):
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=7),
    )
    data = {
        "case": "",
        "name": "王先生",
        "contact": "13800000000",
        "text": "该案例申报材料中的成效数据与统计公报不一致,请核实。",
        "file": pdf(settings.MAX_REQUEST_BYTES),
    }
    r = client.post(f"/results/{campaign.year}/objection/", data)

    assert r.status_code == 413
    html = r.content.decode()
    assert TOO_LARGE_TITLE in html and "没有保存任何内容" in html
    assert "21.0\xa0MB" in html  # filesizeformat of the ceiling
    assert not Objection.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_attachment_gets_413_and_nothing_is_stored(client, make_user, media):
    locality = make_user("locality")
    case = draft_case(open_campaign(), locality.organisation, title="超大附件")
    client.force_login(locality)
    url = reverse("cases:attachment-add", kwargs={"pk": case.pk})

    r = client.post(
        url, {"kind": AttachmentKind.APPLICATION_FORM, "file": pdf(settings.MAX_REQUEST_BYTES)}
    )

    assert r.status_code == 413
    assert TOO_LARGE_TITLE in r.content.decode()
    assert not case.attachments.exists()
    assert stored_files(media) == []


def test_a_declared_length_over_the_ceiling_is_refused_before_the_body_is_read(client, db):
    # The body is never read: a client announcing more than the ceiling gets its answer at once.
    r = client.post(
        "/accounts/login/",
        {"username": "zhao", "password": "x"},
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert r.status_code == 413
    assert TOO_LARGE_TITLE in r.content.decode()


def test_requests_within_the_ceiling_pass(client, settings, db):
    settings.MAX_REQUEST_BYTES = 1000
    r = client.post("/accounts/login/", {"username": "zhao", "password": "x"})
    assert r.status_code == 200
    r = client.post("/accounts/login/", {"username": "zhao", "password": "x" * 1000})
    assert r.status_code == 413


# --- the nginx fragment ---------------------------------------------------------------------


def test_nginx_body_limit_equals_the_django_setting():
    (value,) = nginx_directives("client_max_body_size")
    assert nginx_size(value) == settings.MAX_REQUEST_BYTES


def test_nginx_passes_the_client_address_and_scheme_to_the_nodes():
    assert nginx_directives("proxy_pass") == ["http://reform_awards"] * 2  # /healthz and /
    headers = dict(v.split(None, 1) for v in nginx_directives("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    assert headers["X-Request-ID"] == "$request_id"
    assert nginx_directives("alias") == ["/srv/reform-awards/staticfiles/"]


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")
def test_nginx_accepts_the_fragment(tmp_path):
    # `nginx -t` binds the listening port; port 80 needs root, so the copy checked here
    # listens on a free port instead: only the lines marked `# edit:` differ.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fragment = nginx_edited(
        listen=f"127.0.0.1:{port}",
        nodes=["127.0.0.1:8001", "127.0.0.1:8002"],
        static_root=str(tmp_path / "static"),
        access_log=str(tmp_path / "access.log"),
    )
    wrapper = nginx_wrapper(tmp_path, fragment)
    r = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(wrapper)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "test is successful" in r.stderr
