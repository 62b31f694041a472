"""The anonymous objection form behind the proxy and with large files: the daily limit counts
per real client, a file over the limit is refused while the request is read."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from django.utils import timezone

from reform_cases.models import CampaignStatus, Objection
from reform_cases.publication.forms import ObjectionForm
from reform_cases.publication.services import OBJECTIONS_PER_IP_PER_DAY
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

TEXT = "该案例申报材料中的成效数据与统计公报不一致,请核实。"
PROXY = "127.0.0.1"
CLIENT_A = "203.0.113.10"
CLIENT_B = "203.0.113.20"
LIMIT = ObjectionForm.MAX_FILE_BYTES
TOO_LARGE = "文件过大(上限 10 MB)"


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=7),
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(campaign):
    return f"/results/{campaign.year}/objection/"


def data(text=TEXT, **extra):
    return {"case": "", "name": "王先生", "contact": "13800000000", "text": text, **extra}


def pdf(size, name="证据.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9), "application/pdf")


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


# --- the daily limit behind the proxy -------------------------------------------------------


def post_from(client, campaign, n, *, forwarded):
    return client.post(
        url(campaign),
        data(text=f"{TEXT}第{n}条。"),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_the_proxy_the_daily_limit_counts_the_real_client(settings, campaign, client):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(OBJECTIONS_PER_IP_PER_DAY):
        # A different forged entry each time does not make a new sender.
        r = post_from(client, campaign, n, forwarded=f"192.0.2.{n}, {CLIENT_A}")
        assert r.status_code == 302

    r = post_from(client, campaign, 99, forwarded=f"192.0.2.99, {CLIENT_A}")
    assert r.status_code == 200
    assert "同一网络地址每天最多提交 5 条异议" in r.content.decode()

    # Another client behind the same proxy, even one claiming to be A, may object.
    r = post_from(Client(), campaign, 100, forwarded=f"{CLIENT_A}, {CLIENT_B}")
    assert r.status_code == 302
    assert set(Objection.objects.values_list("ip_address", flat=True)) == {CLIENT_A, CLIENT_B}


def test_direct_connection_stores_remote_addr_not_the_forged_header(settings, campaign, client):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(OBJECTIONS_PER_IP_PER_DAY):
        r = client.post(
            url(campaign),
            data(text=f"{TEXT}第{n}条。"),
            REMOTE_ADDR=CLIENT_A,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert r.status_code == 302
    r = client.post(url(campaign), data(), REMOTE_ADDR=CLIENT_A, HTTP_X_FORWARDED_FOR="192.0.2.250")
    assert r.status_code == 200
    assert set(Objection.objects.values_list("ip_address", flat=True)) == {CLIENT_A}


# --- files over the limit -------------------------------------------------------------------


@pytest.fixture
def later_handlers(monkeypatch):
    """What the upload handlers after the limit (memory, temporary file) were given."""
    seen = []
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        for method in ("new_file", "receive_data_chunk"):
            original = getattr(handler, method)

            def spy(self, *args, _original=original, _name=f"{handler.__name__}.{method}"):
                seen.append(_name)
                return _original(self, *args)

            monkeypatch.setattr(handler, method, spy)
    return seen


def test_a_file_far_over_the_limit_is_refused_before_any_of_it_is_read(
    campaign, client, media, later_handlers
):
    r = client.post(url(campaign), data(file=pdf(LIMIT + 1024 * 1024)), REMOTE_ADDR=CLIENT_A)

    assert r.status_code == 200
    html = r.content.decode()
    assert TOO_LARGE in html
    assert TEXT in html and "王先生" in html  # what was typed is kept
    assert later_handlers == []  # no handler received a byte of it: nothing written anywhere
    assert not Objection.objects.exists()
    assert stored_files(media) == []


def test_a_file_just_over_the_limit_is_refused_with_the_form_message(campaign, client, media):
    r = client.post(url(campaign), data(file=pdf(LIMIT + 1)), REMOTE_ADDR=CLIENT_A)

    assert r.status_code == 200
    assert TOO_LARGE in r.content.decode()
    assert not Objection.objects.exists()
    assert stored_files(media) == []


def test_a_file_at_the_limit_is_accepted(campaign, client, media):
    r = client.post(url(campaign), data(file=pdf(LIMIT)), REMOTE_ADDR=CLIENT_A)

    assert r.status_code == 302
    objection = Objection.objects.get()
    assert objection.file.size == LIMIT
    assert len(stored_files(media)) == 1


def test_the_form_still_checks_csrf(campaign, media):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(campaign), data(), REMOTE_ADDR=CLIENT_A).status_code == 403
    assert not Objection.objects.exists()

    strict.get(url(campaign))
    token = strict.cookies["csrftoken"].value
    r = strict.post(url(campaign), data(csrfmiddlewaretoken=token), REMOTE_ADDR=CLIENT_A)
    assert r.status_code == 302
    assert Objection.objects.count() == 1
