"""The S3 store's own behaviour: private objects, no URL of the store on any page, large
files streamed in bounded memory, and a store that cannot be read is a 503, not a 500."""

import hashlib
import logging
import socket
import tracemalloc
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.stored_files import CHUNK_BYTES
from reform_cases.campaigns import services as campaign_services
from reform_cases.models import Attachment, AttachmentKind
from reform_cases.publication import services as publication_services
from reform_cases.submission import services as submission_services
from tests.factories import PDF, PNG

STORE_URL_MARKS = ("X-Amz-", "AWSAccessKeyId", "Signature=")


def attach(draft, people, content=PDF, name="申报书.pdf"):
    return submission_services.add_attachment(
        case=draft,
        by=people["locality"],
        upload=SimpleUploadedFile(name, content),
        kind=str(AttachmentKind.APPLICATION_FORM),
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_unavailable_page(response, caplog):
    assert response.status_code == 503
    html = response.content.decode()
    assert "文件暂时无法读取,请稍后再试" in html and "Traceback" not in html
    assert response["Retry-After"]
    warnings = [r for r in caplog.records if r.name == "common.stored_files"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert all(r.exc_info is None for r in caplog.records)  # one line each, no traceback


def test_an_unreachable_store_is_a_503_page(local_store, people, draft, store_at, caplog):
    attachment = attach(draft, people)  # in the folder; the row is what matters here
    store_at(endpoint=f"http://127.0.0.1:{closed_port()}", bucket="awards")
    url = reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})

    with caplog.at_level(logging.WARNING):
        r = people["clients"]["admin"].get(url)

    assert_unavailable_page(r, caplog)


def test_a_store_that_refuses_is_a_503_page(s3_store, people, draft, store_at, caplog):
    attachment = attach(draft, people)
    store_at(endpoint=s3_store.endpoint, bucket="no-such-bucket-here")
    url = reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})

    with caplog.at_level(logging.WARNING):
        r = people["clients"]["admin"].get(url)

    assert_unavailable_page(r, caplog)
    assert "NoSuchBucket" in caplog.text


def test_objects_are_private_and_no_page_links_the_store(
    s3_store, people, draft, noticed_campaign, calling_campaign
):
    attachment = attach(draft, people)
    objection = publication_services.submit_objection(
        campaign=noticed_campaign,
        name="王先生",
        contact="13800000000",
        text="该案例申报材料中的成效数据与统计公报不一致,请核实。",
        upload=SimpleUploadedFile("证据.png", PNG),
    )
    campaign_services.add_campaign_file(
        campaign=calling_campaign,
        by=people["admin"],
        title="申报书模板",
        upload=SimpleUploadedFile("模板.pdf", PDF),
    )
    keys = s3_store.keys()
    assert len(keys) == 3

    # Anyone asking the store itself, without the keys, is refused.
    for key in keys:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{s3_store.endpoint}/{s3_store.bucket}/{quote(key)}", timeout=5)
        assert refused.value.code == 403

    # The pages listing these files link the application's download views only.
    clients = people["clients"]
    pages = [
        (clients["locality"], reverse("cases:edit", kwargs={"pk": draft.pk})),
        (clients["locality"], reverse("cases:mine-detail", kwargs={"pk": draft.pk})),
        (clients["admin"], f"/manage/campaigns/{noticed_campaign.pk}/objections/"),
        (clients["admin"], f"/admin/reform_cases/objection/{objection.pk}/change/"),
        (clients["admin"], f"/manage/campaigns/{calling_campaign.pk}/"),
        (clients["anonymous"], f"/calls/{calling_campaign.year}/"),
    ]
    host = urlsplit(s3_store.endpoint).netloc
    for client, url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert host not in html and s3_store.bucket not in html, url
        assert not any(mark in html for mark in STORE_URL_MARKS), url
    admin_page = clients["admin"].get(f"/admin/reform_cases/objection/{objection.pk}/change/")
    assert (
        reverse("manage:objection-file", kwargs={"pk": objection.pk}) in admin_page.content.decode()
    )
    assert attachment.file.name not in clients["locality"].get(pages[0][1]).content.decode()


def test_a_large_file_is_streamed_in_chunks_not_held_in_memory(s3_store, people, draft):
    size = 6 * 1024 * 1024
    content = PDF + bytes(range(256)) * ((size - len(PDF)) // 256)
    attachment = attach(draft, people, content=content, name="大文件.pdf")
    url = reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})
    expected = hashlib.sha256(content).hexdigest()
    del content
    # A first download fills the caches every later one reuses (URL resolver, boto3 models).
    small = attach(draft, people, name="小文件.pdf")
    warm = people["clients"]["admin"].get(reverse("cases:attachment", args=[small.pk]))
    assert b"".join(warm.streaming_content) == PDF

    tracemalloc.start()
    try:
        r = people["clients"]["admin"].get(url)
        digest, chunks, total = hashlib.sha256(), 0, 0
        for chunk in r.streaming_content:
            assert len(chunk) <= CHUNK_BYTES
            digest.update(chunk)
            chunks += 1
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert r.status_code == 200 and r["Content-Length"] == str(attachment.size) == str(total)
    assert digest.hexdigest() == expected
    assert chunks >= attachment.size // CHUNK_BYTES
    # The whole file would be 6 MB at least (7.6 MB through django-storages' S3File, which
    # downloads the object before the first read); a few 256 KB chunks in flight are far less.
    assert peak < 2 * 1024 * 1024, peak
    assert Attachment.objects.filter(pk=attachment.pk).exists()
