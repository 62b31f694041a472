"""An expert's watermarked copy (reviews/documents) is made from the file in either store,
which keeps the locality's bytes; a store that cannot be read is the same 503 page for an
expert as for anyone."""

import logging
import socket
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import HTML

from reform_cases.models import Attachment, AttachmentDownload, AttachmentKind
from reviews.documents.watermark import stamped_code
from reviews.scoring import services as scoring_services
from tests.factories import (
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    reviewing_campaign,
)
from tests.helpers import client_of


@pytest.fixture(scope="module")
def source_pdf():
    return HTML(string='<html lang="zh-Hans"><body><p>推荐函正文</p></body></html>').write_pdf()


@pytest.fixture
def expert_file(db, source_pdf):
    """(the assigned expert, a PDF attachment of the case) in the store in use."""

    def make():
        campaign = reviewing_campaign()
        case = accepted_case_for_review(campaign, title="一件事一次办")
        review_round = make_open_round(campaign, cases=[case])
        expert = make_expert(name="李评审")
        confirmed(review_round, case, expert)
        scoring_services.accept_pledge(review_round=review_round, expert=expert)
        attachment = Attachment(
            case=case,
            kind=AttachmentKind.RECOMMENDATION_LETTER,
            original_name="推荐函.pdf",
            content_type="application/pdf",
            size=len(source_pdf),
        )
        attachment.file.save("推荐函.pdf", ContentFile(source_pdf), save=False)
        attachment.save()
        return expert, attachment

    return make


def _url(attachment):
    return reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})


def test_an_experts_copy_is_stamped_and_the_stored_object_is_untouched(
    store, expert_file, source_pdf
):
    expert, attachment = expert_file()

    r = client_of(expert).get(_url(attachment))

    assert r.status_code == 200
    code = AttachmentDownload.objects.get(attachment=attachment).watermark_code
    assert stamped_code(r.content) == code
    assert code in PdfReader(BytesIO(r.content)).pages[0].extract_text()
    assert store.names() == [attachment.file.name]
    assert store.read(attachment.file.name) == source_pdf


def test_a_store_that_cannot_be_read_is_a_503_page_for_an_expert(
    local_store, expert_file, store_at, caplog
):
    expert, attachment = expert_file()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    store_at(endpoint=f"http://127.0.0.1:{closed}", bucket="awards")

    with caplog.at_level(logging.WARNING):
        r = client_of(expert).get(_url(attachment))

    assert r.status_code == 503
    assert "文件暂时无法读取" in r.content.decode()
    assert r["Retry-After"]
    assert not AttachmentDownload.objects.exists()
    assert all(record.exc_info is None for record in caplog.records)
