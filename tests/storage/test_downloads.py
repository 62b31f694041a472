"""Files uploaded on one role's page come back through another role's download view,
streamed from the store, with the same headers on every download (common/stored_files.py).

Each case runs on the folder and on the S3 server (tests/storage/conftest.py).
"""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.stored_files import attachment_disposition
from reform_cases.models import AttachmentDownload, AttachmentKind, CampaignFile, Objection
from tests.factories import PDF, PNG

OBJECTION_TEXT = "该案例申报材料中的成效数据与统计公报不一致,请核实。"


def body(response) -> bytes:
    assert response.streaming  # streamed from the store, never one bytes blob
    # Reading it to the end closes it, as a WSGI server would (closing it again here would
    # close the test's database connection).
    return b"".join(response.streaming_content)


def assert_download_headers(response, *, filename, content_type, size, cache):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote(filename, safe='')}" in disposition
    assert disposition.isascii()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == cache
    assert response["Content-Length"] == str(size)


def test_attachment_uploaded_on_the_localitys_page_is_downloaded_by_the_office(
    store, people, draft
):
    clients = people["clients"]
    content = PDF + "案例正文".encode() * 100
    upload = SimpleUploadedFile("申报书(定稿).pdf", content, content_type="application/pdf")
    r = clients["locality"].post(
        reverse("cases:attachment-add", kwargs={"pk": draft.pk}),
        {"kind": AttachmentKind.APPLICATION_FORM, "file": upload},
    )
    assert r.status_code == 302
    attachment = draft.attachments.get()
    assert store.names() == [attachment.file.name]
    assert store.read(attachment.file.name) == content

    r = clients["admin"].get(reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk}))

    assert_download_headers(
        r,
        filename="申报书(定稿).pdf",
        content_type="application/pdf",
        size=len(content),
        cache="private, no-store",
    )
    assert body(r) == content
    # The download of an unpublished case is still logged.
    assert AttachmentDownload.objects.filter(attachment=attachment, user=people["admin"]).exists()


def test_objection_file_sent_by_the_public_is_downloaded_by_an_administrator(
    store, people, noticed_campaign
):
    clients = people["clients"]
    upload = SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")
    data = {"case": "", "name": "王先生", "contact": "13800000000", "text": OBJECTION_TEXT}
    r = clients["anonymous"].post(
        f"/results/{noticed_campaign.year}/objection/", {**data, "file": upload}
    )
    assert r.status_code == 302
    objection = Objection.objects.get()
    assert store.names() == [objection.file.name]

    url = reverse("manage:objection-file", kwargs={"pk": objection.pk})
    r = clients["admin"].get(url)

    assert_download_headers(
        r,
        filename="现场照片.png",
        content_type="image/png",
        size=len(PNG),
        cache="private, no-store",
    )
    assert body(r) == PNG
    assert clients["locality"].get(url).status_code == 403  # the permission check is kept


def test_call_file_uploaded_by_the_office_is_downloaded_by_anyone(store, people, calling_campaign):
    clients = people["clients"]
    upload = SimpleUploadedFile("template.pdf", PDF, content_type="application/pdf")
    r = clients["admin"].post(
        f"/manage/campaigns/{calling_campaign.pk}/files/", {"title": "申报书模板", "file": upload}
    )
    assert r.status_code == 302
    item = CampaignFile.objects.get()
    assert store.names() == [item.file.name]

    r = clients["anonymous"].get(f"/calls/{calling_campaign.year}/files/{item.pk}/")

    assert_download_headers(
        r,
        filename="申报书模板.pdf",
        content_type="application/pdf",
        size=len(PDF),
        cache="public, max-age=300",
    )
    assert body(r) == PDF


def test_a_file_missing_from_the_store_is_a_404_page(store, people, draft):
    clients = people["clients"]
    clients["locality"].post(
        reverse("cases:attachment-add", kwargs={"pk": draft.pk}),
        {"kind": AttachmentKind.APPLICATION_FORM, "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    attachment = draft.attachments.get()
    store.remove(attachment.file.name)

    r = clients["admin"].get(reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk}))

    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


@pytest.mark.parametrize(
    "filename,fallback",
    [
        ("申报书.pdf", "download.pdf"),
        ("2021年度申报书 v2.docx", "2021_v2.docx"),
        ('a"b\\c\r\n.pdf', "a_b_c.pdf"),
        ("", "download"),
    ],
)
def test_the_disposition_names_the_file_for_every_client(filename, fallback):
    header = attachment_disposition(filename)
    assert header.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
    assert header.isascii() and "\r" not in header and "\n" not in header
