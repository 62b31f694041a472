"""The download log of unpublished files records the client's address, as the proxy saw it."""

import pytest
from django.test import Client
from django.urls import reverse

from reform_cases.models import AttachmentDownload
from tests.factories import attach, draft_case, open_campaign

PROXY = "127.0.0.1"
REAL = "203.0.113.30"
FORGED = "198.51.100.66"


@pytest.fixture
def download(settings, tmp_path, make_user):
    """download(**request_meta): the locality downloads its own unpublished file."""
    settings.MEDIA_ROOT = tmp_path
    locality = make_user("locality")
    attachment = attach(draft_case(open_campaign(), locality.organisation), locality)
    client = Client()
    client.force_login(locality)
    url = reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})

    def get(**meta):
        response = client.get(url, **meta)
        assert response.status_code == 200
        b"".join(response.streaming_content)
        return AttachmentDownload.objects.filter(attachment=attachment).latest("pk")

    return get


def test_direct_download_logs_remote_addr_not_the_forged_header(settings, download):
    settings.TRUSTED_PROXY_COUNT = 0
    row = download(REMOTE_ADDR=REAL, HTTP_X_FORWARDED_FOR=FORGED)
    assert row.ip_address == REAL


def test_behind_the_proxy_the_download_logs_the_real_client(settings, download):
    settings.TRUSTED_PROXY_COUNT = 1
    row = download(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {REAL}")
    assert row.ip_address == REAL
