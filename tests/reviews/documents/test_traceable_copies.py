"""Experts' traceable copies (issue 19): every page of the 申报书 and of a PDF attachment an
expert downloads names the expert, the time and a code, the code is in the download log and
the office finds the download by it; other files, other readers and the store are untouched.
"""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from reform_cases.models import (
    ApplicationFormDownload,
    Attachment,
    AttachmentDownload,
    AttachmentKind,
    CampaignStatus,
)
from reviews.documents.watermark import (
    CODE_LENGTH,
    Stamp,
    WatermarkFailed,
    normalise_code,
    stamped_code,
    watermark_pdf,
)
from reviews.scoring import services as scoring_services
from tests.factories import (
    PNG,
    CampaignFactory,
    CaseFactory,
    CountyFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    reviewing_campaign,
)
from tests.helpers import client_of

# Three pages, the last one landscape: each gets an overlay of its own size.
SOURCE_HTML = """<html lang="zh-Hans"><style>@page { size: A4 } @page wide { size: A4 landscape }
.wide { page: wide }</style><body><p>第一页正文</p><p style="break-before: page">第二页正文</p>
<p class="wide">第三页横向</p></body></html>"""


@pytest.fixture(scope="module")
def source_pdf():
    return HTML(string=SOURCE_HTML).write_pdf()


def _pages(data: bytes):
    return PdfReader(BytesIO(data)).pages


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in _pages(data))


def _attach(case, name, data, content_type):
    attachment = Attachment(
        case=case,
        kind=AttachmentKind.APPLICATION_FORM,
        original_name=name,
        content_type=content_type,
        size=len(data),
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


@pytest.fixture
def reviewing(db, settings, tmp_path):
    """An expert assigned (and pledged) to a case of an open round; blind or not is chosen
    by the test through `make`."""
    settings.MEDIA_ROOT = tmp_path

    def make(*, blind=False):
        campaign = reviewing_campaign()
        unit = CountyFactory(name="青山县改革办")
        case = accepted_case_for_review(campaign, unit, title="一件事一次办")
        review_round = make_open_round(campaign, cases=[case], blind=blind)
        expert = make_expert(name="李评审")
        assignment = confirmed(review_round, case, expert)
        scoring_services.accept_pledge(review_round=review_round, expert=expert)
        return assignment

    return make


def _form_url(assignment):
    return reverse("reviews:application-form", kwargs={"pk": assignment.pk})


def _file_url(attachment):
    return reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk})


def test_an_experts_pdf_attachment_is_stamped_with_the_code_of_its_log_row(reviewing, source_pdf):
    assignment = reviewing()
    attachment = _attach(assignment.case, "推荐函.pdf", source_pdf, "application/pdf")
    client = client_of(assignment.expert)

    first = client.get(_file_url(attachment))
    second = client.get(_file_url(attachment))

    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert "attachment;" in first["Content-Disposition"]
    assert first["X-Content-Type-Options"] == "nosniff"
    data = first.content
    log = AttachmentDownload.objects.filter(attachment=attachment).order_by("pk")
    assert [row.user for row in log] == [assignment.expert] * 2
    code = log[0].watermark_code
    assert len(code) == CODE_LENGTH
    assert stamped_code(data) == code
    # Every page, landscape included, names the expert and the code, over the original text.
    pages = _pages(data)
    assert [(round(p.mediabox.width), round(p.mediabox.height)) for p in pages] == [
        (round(p.mediabox.width), round(p.mediabox.height)) for p in _pages(source_pdf)
    ]
    assert [round(p.mediabox.width) for p in pages] == [595, 595, 842]
    for page, original in zip(pages, ("第一页正文", "第二页正文", "第三页横向"), strict=True):
        text = page.extract_text()
        assert original in text
        assert code in text
        assert "李评审" in text
    # Each download is a copy of its own.
    assert stamped_code(second.content) == log[1].watermark_code != code
    # The stored file is the locality's, byte for byte.
    attachment.file.open("rb")
    with attachment.file as stored:
        assert stored.read() == source_pdf


def test_a_blind_rounds_form_names_no_unit_and_its_code_is_logged(reviewing):
    assignment = reviewing(blind=True)

    r = client_of(assignment.expert).get(_form_url(assignment))

    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    data = r.content
    text = _text(data)
    assert "一件事一次办" in text
    assert "青山县改革办" not in text
    assert assignment.case.organisation.parent.name not in text
    row = ApplicationFormDownload.objects.get()
    assert (row.case, row.user, row.blind) == (assignment.case, assignment.expert, True)
    assert stamped_code(data) == row.watermark_code
    assert row.watermark_code in text


def test_an_open_rounds_form_names_the_unit(reviewing):
    assignment = reviewing(blind=False)

    r = client_of(assignment.expert).get(_form_url(assignment))

    text = _text(r.content)
    assert "青山县改革办" in text
    row = ApplicationFormDownload.objects.get()
    assert row.blind is False
    assert row.watermark_code in text


def test_the_form_waits_for_the_pledge(reviewing):
    assignment = reviewing()
    assignment.round.pledges.all().delete()

    r = client_of(assignment.expert).get(_form_url(assignment))

    assert r.status_code == 302
    assert f"/review/rounds/{assignment.round.pk}/pledge/" in r["Location"]
    assert not ApplicationFormDownload.objects.exists()


def test_a_file_that_is_not_a_pdf_is_served_as_stored_and_logged_as_before(reviewing):
    assignment = reviewing()
    attachment = _attach(assignment.case, "现场照片.png", PNG, "image/png")

    r = client_of(assignment.expert).get(_file_url(attachment))

    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PNG
    row = AttachmentDownload.objects.get(attachment=attachment)
    assert (row.user, row.watermark_code) == (assignment.expert, "")


def test_the_office_gets_the_stored_pdf_unstamped(reviewing, source_pdf, make_user):
    assignment = reviewing()
    attachment = _attach(assignment.case, "推荐函.pdf", source_pdf, "application/pdf")

    r = client_of(make_user("administrator")).get(_file_url(attachment))

    assert b"".join(r.streaming_content) == source_pdf
    assert AttachmentDownload.objects.get(attachment=attachment).watermark_code == ""


def test_a_pdf_that_cannot_be_read_is_served_as_stored_and_logged_without_a_code(reviewing):
    assignment = reviewing()
    damaged = b"%PDF-1.4\nnot a pdf"
    attachment = _attach(assignment.case, "坏文件.pdf", damaged, "application/pdf")

    r = client_of(assignment.expert).get(_file_url(attachment))

    assert r.status_code == 200
    assert b"".join(r.streaming_content) == damaged
    row = AttachmentDownload.objects.get()
    assert (row.user, row.watermark_code) == (assignment.expert, "")


def test_the_office_finds_a_copy_by_the_code_as_a_person_types_it(reviewing, source_pdf, make_user):
    assignment = reviewing()
    attachment = _attach(assignment.case, "推荐函.pdf", source_pdf, "application/pdf")
    client_of(assignment.expert).get(_file_url(attachment))
    code = AttachmentDownload.objects.get().watermark_code
    office = client_of(make_user("administrator"))
    url = reverse("manage:watermark-lookup")

    typed = f" {code[:5].lower()}-{code[5:]} "
    found = office.get(url, {"code": typed}).content.decode()
    missing = office.get(url, {"code": "ZZZZZZZZZZ"}).content.decode()
    too_long = office.get(url, {"code": "A" * 41})
    nul = office.get(url, {"code": "甲\x00乙"})

    assert 'id="traced-copy"' in found
    assert "李评审" in found and assignment.expert.username in found
    assert "一件事一次办" in found and "推荐函.pdf" in found
    assert 'id="no-copy"' in missing and 'id="traced-copy"' not in missing
    assert too_long.status_code == 200
    assert "is-invalid" in too_long.content.decode()
    assert nul.status_code == 200 and "is-invalid" in nul.content.decode()


def test_the_lookup_reads_the_same_number_of_queries_whatever_the_log_size(
    reviewing, make_user, django_assert_max_num_queries
):
    assignment = reviewing()
    office = client_of(make_user("administrator"))
    url = reverse("manage:watermark-lookup")
    for n in (1, 40):
        ApplicationFormDownload.objects.bulk_create(
            ApplicationFormDownload(case=assignment.case, user=assignment.expert,
                                    watermark_code=f"N{n}X{i:05d}")
            for i in range(n)
        )  # fmt: skip
        with django_assert_max_num_queries(8):
            r = office.get(url, {"code": f"N{n}X00000"})
        assert 'id="traced-copy"' in r.content.decode()


def test_codes_are_normalised_as_typed():
    assert normalise_code(" ab-cd o1 il ") == "ABCD0111"
    assert normalise_code("——") == ""


def test_an_unreadable_file_raises_watermark_failed():
    with pytest.raises(WatermarkFailed):
        watermark_pdf(b"%PDF-1.7\n\x00\x01", Stamp(reader="x", at="t", code="C"))


def test_the_address_of_a_form_download_goes_with_the_others_after_the_period(
    db, settings, make_user
):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    campaign = CampaignFactory(
        status=CampaignStatus.PUBLISHED, published_at=timezone.now() - timedelta(days=366)
    )
    reader = make_user("expert")
    row = ApplicationFormDownload.objects.create(
        case=CaseFactory(campaign=campaign), user=reader, ip_address="10.0.0.9",
        watermark_code="K7M2QX9D4H",
    )  # fmt: skip

    call_command("erase_objector_data")

    row.refresh_from_db()
    assert row.ip_address is None
    assert (row.user, row.watermark_code) == (reader, "K7M2QX9D4H")  # the copy stays traceable


def test_a_turned_page_is_stamped_upright_and_every_page_keeps_its_text(source_pdf):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(source_pdf)))
    writer.pages[1].rotate(90)
    turned = BytesIO()
    writer.write(turned)

    out = watermark_pdf(
        turned.getvalue(), Stamp(reader="李评审", at="2026-11-30 09:00", code="K7M2")
    )

    pages = _pages(out)
    assert pages[1].rotation == 0  # the turn moved into the drawing, so the stamp is upright
    assert (round(pages[1].mediabox.width), round(pages[1].mediabox.height)) == (842, 595)
    for page, original in zip(pages, ("第一页正文", "第二页正文", "第三页横向"), strict=True):
        assert original in page.extract_text()
        assert "K7M2" in page.extract_text()
    assert stamped_code(out) == "K7M2"
