"""Drafting, submitting and the formal check (issue 4): bad input, transitions, lists."""

import io
import threading
import uuid
from datetime import timedelta

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Role
from notifications.models import Notification
from reform_cases.models import (
    Attachment,
    AttachmentKind,
    CampaignStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
)
from reform_cases.submission import services as submission_services
from tests.factories import (
    PDF,
    PNG,
    TEXT,
    TEXT_FIELDS,
    CampaignFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    attach,
    complete_case,
    draft_case,
    form_data,
    open_campaign,
    pdf,
    submitted_case,
)
from tests.helpers import message_text, messages_of


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def campaign(db):
    return open_campaign()


@pytest.fixture
def locality(make_user):
    return make_user("locality")


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


@pytest.fixture
def locality_client(client, locality):
    client.force_login(locality)
    return client


@pytest.fixture
def office(administrator):
    """A client signed in as an administrator of the organising office."""
    c = Client()
    c.force_login(administrator)
    return c


@pytest.fixture
def draft(campaign, owning_organisation):
    return draft_case(campaign, owning_organisation, title="半成品草稿")


@pytest.fixture
def ready(campaign, owning_organisation, locality):
    """A complete draft: every field and every required attachment kind."""
    return complete_case(campaign, owning_organisation, locality)


def edit_url(case):
    return reverse("cases:edit", kwargs={"pk": case.pk})


def detail_url(case):
    return reverse("cases:mine-detail", kwargs={"pk": case.pk})


def submit_url(case):
    return reverse("cases:submit", kwargs={"pk": case.pk})


def upload_url(case):
    return reverse("cases:attachment-add", kwargs={"pk": case.pk})


def events(case, kind=None):
    qs = CaseEvent.objects.filter(case=case)
    return list(qs.filter(kind=kind) if kind else qs)


def notifications(kind, case):
    return list(Notification.objects.filter(kind=kind, target=f"reform_cases.case:{case.pk}"))


# Over-long text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,limit", [("summary", 500), ("background", 5000), ("replicability", 5000)]
)
def test_over_long_text_is_refused_and_kept_in_the_form(locality_client, ready, name, limit):
    typed = "改" * (limit + 1)
    data = form_data(ready, **{name: typed, "contact_name": "新联系人"})
    response = locality_client.post(edit_url(ready), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"最多 {limit} 字,当前 {limit + 1} 字。" in html
    assert typed in html  # what was typed is still there
    assert "新联系人" in html  # and so is everything else
    ready.refresh_from_db()
    assert getattr(ready, name) == TEXT[name]  # the invalid form saved nothing


def test_text_at_the_limit_is_accepted(locality_client, ready):
    data = form_data(ready, summary="改" * 500, background="景" * 5000)
    assert locality_client.post(edit_url(ready), data).status_code == 302
    ready.refresh_from_db()
    assert len(ready.summary) == 500 and len(ready.background) == 5000


def test_over_long_text_on_a_new_case_creates_nothing(locality_client, campaign):
    typed = "新" * 501
    response = locality_client.post(
        reverse("cases:new"),
        {"title": "新案例", "summary": typed, "campaign": campaign.pk, "form_token": uuid.uuid4()},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "最多 500 字,当前 501 字。" in html and typed in html and "新案例" in html
    assert not Case.objects.exists()


def test_a_new_draft_may_be_incomplete(locality_client, campaign, locality):
    response = locality_client.post(
        reverse("cases:new"), {"title": "只写了标题", "form_token": uuid.uuid4()}
    )
    case = Case.objects.get()
    assert response.url == edit_url(case)
    assert case.status == CaseStatus.DRAFT
    assert case.organisation == locality.organisation
    assert case.campaign == campaign
    assert [e.kind for e in events(case)] == [CaseEventKind.CREATED]


# Missing fields and attachment kinds ------------------------------------------------------


def test_submit_names_what_is_missing_and_keeps_the_draft(locality_client, draft, locality):
    response = locality_client.post(submit_url(draft))
    assert response.status_code == 302
    text = message_text(response)
    assert "以下内容缺失" in text
    for label in ("领域", "案例简介", "背景", "主要做法", "成效", "创新点", "推广价值"):
        assert label in text
    assert "联系人" in text and "联系电话" in text
    assert "附件:申报书" in text and "附件:推荐函(加盖公章)" in text
    assert "案例名称" not in text  # the title is there
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT and draft.title == "半成品草稿"
    assert not events(draft, CaseEventKind.SUBMITTED)
    assert not Notification.objects.exists()


def test_submit_names_only_the_missing_attachment_kind(locality_client, campaign, draft, locality):
    for name, value in {**TEXT, "field": FieldFactory()}.items():
        setattr(draft, name, value)
    draft.save()
    attach(draft, locality, kind=AttachmentKind.APPLICATION_FORM)
    attach(draft, locality, kind=AttachmentKind.SUPPORTING, name="佐证.pdf")
    text = message_text(locality_client.post(submit_url(draft)))
    assert "附件:推荐函(加盖公章)" in text
    assert "附件:申报书" not in text and "案例简介" not in text
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT


def test_save_and_submit_keeps_what_was_typed_when_incomplete(locality_client, draft):
    data = form_data(title="刚写的标题", summary="刚写的简介", submit="1", edit_version=1)
    response = locality_client.post(edit_url(draft), data)
    assert response.status_code == 302 and response.url == edit_url(draft)
    assert "以下内容缺失" in message_text(response)
    draft.refresh_from_db()
    assert (draft.title, draft.summary, draft.status) == ("刚写的标题", "刚写的简介", "draft")
    page = locality_client.get(edit_url(draft)).content.decode()
    assert "刚写的简介" in page and "提交前还需补充" in page


# Uploads ----------------------------------------------------------------------------------


def _upload(client, case, upload, kind=AttachmentKind.APPLICATION_FORM):
    return client.post(upload_url(case), {"kind": kind, "file": upload})


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("方案.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "不是有效的"),
        ("方案.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "不是有效的"),
        (
            "图.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "不是有效的",
        ),
        ("图.png", PDF, "与扩展名不符"),  # a real PDF, named as an image
        ("表.xlsx", b"PK\x03\x04" + b"\x00" * 50, "不是有效的"),  # not a real package
    ],
    ids=["exe-as-pdf", "html-as-pdf", "svg-as-png", "pdf-as-png", "broken-zip"],
)
def test_upload_is_checked_by_content(locality_client, draft, name, content, expected):
    response = _upload(locality_client, draft, SimpleUploadedFile(name, content))
    assert response.status_code == 302
    text = message_text(response)
    assert expected in text and name in text
    assert not draft.attachments.exists()


def test_upload_of_a_real_png_and_pdf_is_stored(locality_client, draft, tmp_path):
    assert _upload(locality_client, draft, SimpleUploadedFile("图.png", PNG)).status_code == 302
    assert _upload(locality_client, draft, pdf()).status_code == 302
    stored = {a.original_name: a for a in draft.attachments.all()}
    assert stored["图.png"].content_type == "image/png"
    assert stored["申报书.pdf"].content_type == "application/pdf"
    assert (tmp_path / stored["申报书.pdf"].file.name).read_bytes() == PDF


def test_empty_file_is_refused(locality_client, draft):
    response = _upload(locality_client, draft, SimpleUploadedFile("空.pdf", b""))
    assert response.status_code == 302
    assert messages_of(response) and messages_of(response)[0][0] == "error"
    assert "空" in message_text(response)
    assert not draft.attachments.exists()


def test_empty_file_is_refused_by_the_service(draft, locality):
    with pytest.raises(Exception) as exc:
        submission_services.add_attachment(
            case=draft, by=locality, upload=SimpleUploadedFile("空.pdf", b""), kind="supporting"
        )
    assert "是空的" in " ".join(exc.value.messages)
    assert not draft.attachments.exists()


def test_oversized_file_is_refused(locality_client, draft, monkeypatch):
    monkeypatch.setattr(submission_services, "MAX_ATTACHMENT_BYTES", 1000)
    big = PDF + b"\n" * (1001 - len(PDF))
    response = _upload(locality_client, draft, pdf("大.pdf", big))
    assert "文件过大" in message_text(response)
    assert not draft.attachments.exists()
    # One byte less is fine.
    assert _upload(locality_client, draft, pdf("小.pdf", big[:1000])).status_code == 302
    assert draft.attachments.count() == 1


def test_the_limit_is_twenty_megabytes():
    assert submission_services.MAX_ATTACHMENT_BYTES == 20 * 1024 * 1024


def test_eleventh_attachment_is_refused(locality_client, draft, locality):
    for i in range(10):
        attach(draft, locality, kind=AttachmentKind.SUPPORTING, name=f"佐证{i}.pdf")
    response = _upload(locality_client, draft, pdf("第十一个.pdf"))
    assert "每个案例最多上传 10 个附件" in message_text(response)
    assert draft.attachments.count() == 10
    assert not draft.attachments.filter(original_name="第十一个.pdf").exists()


def test_a_path_in_the_file_name_is_dropped(locality_client, draft, tmp_path):
    response = _upload(locality_client, draft, pdf("../../etc/申报书.pdf"))
    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert attachment.original_name == "申报书.pdf"
    assert "/" not in attachment.original_name
    assert attachment.file.name.startswith(f"attachments/{draft.campaign_id}/{draft.pk}/")
    assert ".." not in attachment.file.name
    stored = (tmp_path / attachment.file.name).resolve()
    assert stored.is_relative_to((tmp_path / "attachments").resolve())
    assert not (tmp_path.parent / "etc").exists()


@pytest.mark.parametrize(
    "name,expected",
    [
        ("..\\..\\windows\\申报书.pdf", "申报书.pdf"),  # a Windows path survives the upload handler
        ("a;rm -rf *|x`.pdf", "a_rm_-rf_x_.pdf"),
        ("\x00\x1f申报书.pdf", "申报书.pdf"),
    ],
)
def test_file_names_are_sanitised_by_the_service(draft, locality, name, expected):
    upload = pdf("x.pdf")
    upload._name = name  # what a non-Django client could hand over, unfiltered
    attachment = submission_services.add_attachment(
        case=draft, by=locality, upload=upload, kind="supporting"
    )
    assert attachment.original_name == expected
    assert "\\" not in attachment.file.name and ".." not in attachment.file.name


# Phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12345", "1380013800a", "23800138000", "138001380001", "0571"])
def test_a_phone_number_that_is_not_one_is_refused(locality_client, ready, phone):
    response = locality_client.post(edit_url(ready), form_data(ready, contact_phone=phone))
    assert response.status_code == 200
    html = response.content.decode()
    assert "请填写有效的大陆手机号" in html
    assert f'value="{phone}"' in html  # what was typed is kept
    ready.refresh_from_db()
    assert ready.contact_phone == TEXT["contact_phone"]


@pytest.mark.parametrize(
    "phone,stored",
    [
        ("13800138000", "13800138000"),
        ("0571-87654321", "0571-87654321"),
        ("057187654321", "057187654321"),
        ("+86 138 0013 8000", "13800138000"),
    ],
)
def test_valid_phone_numbers_are_saved(locality_client, ready, phone, stored):
    response = locality_client.post(edit_url(ready), form_data(ready, contact_phone=phone))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.contact_phone == stored


# Window, double submission, withdrawal, limit -----------------------------------------------


def test_submitting_after_the_window_is_refused_with_its_dates(locality_client, ready, campaign):
    campaign.submission_closes_at = timezone.now() - timedelta(hours=1)
    campaign.save()
    before = Case.objects.filter(pk=ready.pk).values().get()
    response = locality_client.post(submit_url(ready))
    text = message_text(response)
    opens = timezone.localtime(campaign.submission_opens_at).strftime("%Y-%m-%d %H:%M")
    closes = timezone.localtime(campaign.submission_closes_at).strftime("%Y-%m-%d %H:%M")
    assert "不在申报时间内" in text and opens in text and closes in text
    assert "草稿已保留" in text
    ready.refresh_from_db()
    assert ready.status == CaseStatus.DRAFT and ready.submitted_at is None
    assert Case.objects.filter(pk=ready.pk).values().get() == before
    assert not events(ready, CaseEventKind.SUBMITTED)


def test_submitting_before_the_window_is_refused(locality_client, ready, campaign):
    campaign.submission_opens_at = timezone.now() + timedelta(days=1)
    campaign.save()
    assert "不在申报时间内" in message_text(locality_client.post(submit_url(ready)))
    ready.refresh_from_db()
    assert ready.status == CaseStatus.DRAFT


def test_submitting_twice_from_two_tabs_submits_once(locality_client, ready):
    first = locality_client.post(submit_url(ready), follow=True)
    assert [m.level_tag for m in first.context["messages"]] == ["success"]
    second = locality_client.post(submit_url(ready), follow=True)
    assert second.status_code == 200  # a page, not an error page
    assert second.redirect_chain == [(detail_url(ready), 302)]
    assert [(m.level_tag, str(m)) for m in second.context["messages"]] == [
        ("info", "案例已经提交,无需重复提交。")
    ]
    assert len(events(ready, CaseEventKind.SUBMITTED)) == 1
    assert len(notifications("case_submitted", ready)) == 1


def test_save_and_submit_from_a_stale_tab_does_not_resubmit(locality_client, ready):
    data = form_data(ready, submit="1")
    first = locality_client.post(edit_url(ready), data, follow=True)
    assert [m.level_tag for m in first.context["messages"]] == ["success"]
    stale = locality_client.post(edit_url(ready), {**data, "title": "陈旧页面的标题"}, follow=True)
    assert stale.status_code == 200
    assert [m.level_tag for m in stale.context["messages"]] == ["info"]
    ready.refresh_from_db()
    assert ready.status == CaseStatus.SUBMITTED and ready.title != "陈旧页面的标题"
    assert len(events(ready, CaseEventKind.SUBMITTED)) == 1


def test_a_submitted_case_is_read_only_to_the_locality(locality_client, campaign, locality):
    case = submitted_case(campaign, locality.organisation, locality)
    page = locality_client.get(edit_url(case))
    assert page.status_code == 302 and page.url == detail_url(case)
    response = locality_client.post(upload_url(case), {"kind": "supporting", "file": pdf()})
    assert "只读" in message_text(response)
    assert case.attachments.count() == 2
    attachment = case.attachments.first()
    locality_client.post(
        reverse("cases:attachment-remove", kwargs={"pk": case.pk, "attachment_pk": attachment.pk})
    )
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_withdrawing_an_accepted_case_is_refused(
    locality_client, campaign, locality, administrator
):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.accept_case(case=case, by=administrator)
    response = locality_client.post(reverse("cases:withdraw", kwargs={"pk": case.pk}))
    assert response.status_code == 302
    assert messages_of(response) == [("error", "案例已“已受理”,不能撤回。")]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert not events(case, CaseEventKind.WITHDRAWN)


def test_the_per_organisation_limit_is_enforced_at_submit(locality_client, campaign, locality):
    campaign.max_cases_per_organisation = 1
    campaign.save()
    submitted_case(campaign, locality.organisation, locality)
    second = complete_case(campaign, locality.organisation, locality)
    response = locality_client.post(submit_url(second))
    assert messages_of(response) == [
        ("error", "每个单位在本次评选中最多申报 1 个案例,您单位已提交 1 个。")
    ]
    second.refresh_from_db()
    assert second.status == CaseStatus.DRAFT


def test_withdrawn_cases_free_their_place(locality_client, campaign, locality):
    campaign.max_cases_per_organisation = 1
    campaign.save()
    first = submitted_case(campaign, locality.organisation, locality)
    submission_services.withdraw_case(case=first, by=locality)
    second = complete_case(campaign, locality.organisation, locality)
    locality_client.post(submit_url(second))
    second.refresh_from_db()
    assert second.status == CaseStatus.SUBMITTED


def test_another_organisations_cases_do_not_count(locality_client, campaign, locality):
    campaign.max_cases_per_organisation = 1
    campaign.save()
    other = UserFactory(locality=True)
    submitted_case(campaign, other.organisation, other)
    mine = complete_case(campaign, locality.organisation, locality)
    locality_client.post(submit_url(mine))
    mine.refresh_from_db()
    assert mine.status == CaseStatus.SUBMITTED


# XSS --------------------------------------------------------------------------------------

PAYLOAD = "<script>alert(1)</script>"


def test_script_in_every_text_field_is_shown_escaped(locality_client, office, ready, administrator):
    values = {name: f"{PAYLOAD}{name}" for name in TEXT_FIELDS}
    response = locality_client.post(edit_url(ready), form_data(ready, **values, submit="1"))
    assert response.url == detail_url(ready), message_text(response)
    ready.refresh_from_db()
    assert ready.status == CaseStatus.SUBMITTED
    assert ready.summary == values["summary"]  # stored as typed
    submission_services.return_case(case=ready, by=administrator, reason=f"{PAYLOAD}reason")

    pages = {
        "locality detail": locality_client.get(detail_url(ready)),
        "locality edit": locality_client.get(edit_url(ready)),
        "locality list": locality_client.get(reverse("cases:mine")),
        "administrator detail": office.get(reverse("manage:case-detail", kwargs={"pk": ready.pk})),
        "administrator list": office.get(
            reverse("manage:submissions", kwargs={"pk": ready.campaign_id})
        ),
    }
    shown = {
        "locality detail": [*TEXT_FIELDS, "reason"],
        "locality edit": TEXT_FIELDS,
        "locality list": ["title"],
        "administrator detail": [*TEXT_FIELDS, "reason"],
        "administrator list": ["title"],
    }
    for page, response in pages.items():
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<script>alert(1)" not in html, page
        for name in shown[page]:
            assert f"&lt;script&gt;alert(1)&lt;/script&gt;{name}" in html, (page, name)


# Transitions, events and notifications ------------------------------------------------------


@pytest.fixture
def members(locality, owning_organisation):
    """The organisation's other users: one more active locality user, one switched off."""
    colleague = UserFactory(locality=True, organisation=owning_organisation)
    UserFactory(locality=True, organisation=owning_organisation, is_active=False)
    UserFactory(expert=True)
    return {locality, colleague}


def test_submit_writes_an_event_and_a_receipt_to_the_localitys_users(
    locality_client, ready, locality, members, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = locality_client.post(submit_url(ready))
    assert messages_of(response)[0][0] == "success"
    ready.refresh_from_db()
    assert ready.status == CaseStatus.SUBMITTED and ready.submitted_at is not None
    (event,) = events(ready, CaseEventKind.SUBMITTED)
    assert event.actor == locality
    receipts = notifications("case_submitted", ready)
    assert {n.recipient for n in receipts} == members
    assert all(ready.title in n.body for n in receipts)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members)
    assert all(ready.title in m.subject for m in mail.outbox)


def test_return_with_a_reason_and_deadline(
    locality_client, office, campaign, locality, administrator, members
):
    case = submitted_case(campaign, locality.organisation, locality)
    response = office.post(
        reverse("manage:case-return", kwargs={"pk": case.pk}),
        {"reason": "推荐函未加盖公章。", "revise_by": "2099-01-02T10:00"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED
    assert timezone.localtime(case.revise_by).strftime("%Y-%m-%d %H:%M") == "2099-01-02 10:00"
    (event,) = events(case, CaseEventKind.RETURNED)
    assert (event.actor, event.note) == (administrator, "推荐函未加盖公章。")
    returned = notifications("case_returned", case)
    assert {n.recipient for n in returned} == members
    assert all("推荐函未加盖公章。" in n.body and "2099-01-02 10:00" in n.body for n in returned)

    # The locality sees the reason and the deadline, and may edit again.
    page = locality_client.get(detail_url(case)).content.decode()
    assert "退回理由" in page and "推荐函未加盖公章。" in page
    assert "2099" in page
    assert locality_client.get(edit_url(case)).status_code == 200


def test_return_without_a_reason_is_refused(office, campaign, locality):
    case = submitted_case(campaign, locality.organisation, locality)
    response = office.post(reverse("manage:case-return", kwargs={"pk": case.pk}), {"reason": "   "})
    assert response.status_code == 302
    assert messages_of(response)[0][0] == "error"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert not events(case, CaseEventKind.RETURNED)
    assert not notifications("case_returned", case)


def test_return_service_refuses_a_blank_reason(campaign, locality, administrator):
    case = submitted_case(campaign, locality.organisation, locality)
    with pytest.raises(Exception) as exc:
        submission_services.return_case(case=case, by=administrator, reason=" \n ")
    assert "请填写退回理由" in " ".join(exc.value.messages)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_return_with_a_past_deadline_is_refused(office, campaign, locality):
    case = submitted_case(campaign, locality.organisation, locality)
    response = office.post(
        reverse("manage:case-return", kwargs={"pk": case.pk}),
        {"reason": "补充材料", "revise_by": "2001-01-01T10:00"},
    )
    assert "修改截止时间必须晚于现在" in message_text(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_resubmission_writes_a_resubmitted_event(
    locality_client, campaign, locality, administrator
):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.return_case(case=case, by=administrator, reason="请补充成效数据。")
    data = form_data(case, results="成效:办理时间从 5 天缩短到 1 天。", submit="1")
    response = locality_client.post(edit_url(case), data)
    assert response.url == detail_url(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.results == "成效:办理时间从 5 天缩短到 1 天。"
    assert [e.kind for e in events(case)] == [
        CaseEventKind.SUBMITTED,
        CaseEventKind.RETURNED,
        CaseEventKind.RESUBMITTED,
    ]
    assert events(case, CaseEventKind.RESUBMITTED)[0].actor == locality
    assert len(notifications("case_submitted", case)) == 2


def test_resubmission_after_the_deadline_is_refused(
    locality_client, campaign, locality, administrator
):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.return_case(
        case=case, by=administrator, reason="补充", revise_by=timezone.now() + timedelta(days=1)
    )
    Case.objects.filter(pk=case.pk).update(revise_by=timezone.now() - timedelta(minutes=1))
    response = locality_client.post(submit_url(case))
    assert "已过" in message_text(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED
    assert not events(case, CaseEventKind.RESUBMITTED)
    # Nor can it be edited any more.
    assert locality_client.get(edit_url(case)).status_code == 302
    before = case.title
    locality_client.post(edit_url(case), form_data(case, title="过期后改的"))
    case.refresh_from_db()
    assert case.title == before


def test_accept_writes_an_event_and_notifies(office, campaign, locality, administrator, members):
    case = submitted_case(campaign, locality.organisation, locality)
    response = office.post(reverse("manage:case-accept", kwargs={"pk": case.pk}))
    assert messages_of(response) == [("success", "已受理。")]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    (event,) = events(case, CaseEventKind.ACCEPTED)
    assert event.actor == administrator
    assert {n.recipient for n in notifications("case_accepted", case)} == members


def test_accepting_twice_is_refused(office, campaign, locality):
    case = submitted_case(campaign, locality.organisation, locality)
    url = reverse("manage:case-accept", kwargs={"pk": case.pk})
    office.post(url, follow=True)
    response = office.post(url)
    assert messages_of(response) == [("error", "只有已提交的案例可以审查(当前:已受理)。")]
    assert len(events(case, CaseEventKind.ACCEPTED)) == 1


def test_a_draft_cannot_be_checked(office, draft):
    response = office.post(reverse("manage:case-accept", kwargs={"pk": draft.pk}))
    assert "只有已提交的案例可以审查" in message_text(response)
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT


def test_ineligible_needs_a_reason(office, campaign, locality, administrator, members):
    case = submitted_case(campaign, locality.organisation, locality)
    url = reverse("manage:case-ineligible", kwargs={"pk": case.pk})
    refused = office.post(url, {"reason": ""})
    assert messages_of(refused)[0][0] == "error"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED

    office.post(url, {"reason": "不属于本次评选范围。"})
    case.refresh_from_db()
    assert case.status == CaseStatus.INELIGIBLE
    (event,) = events(case, CaseEventKind.INELIGIBLE)
    assert (event.actor, event.note) == (administrator, "不属于本次评选范围。")
    sent = notifications("case_ineligible", case)
    assert {n.recipient for n in sent} == members
    assert all("不属于本次评选范围。" in n.body for n in sent)


def test_withdraw_writes_an_event_with_the_reason(locality_client, campaign, locality):
    case = submitted_case(campaign, locality.organisation, locality)
    response = locality_client.post(
        reverse("cases:withdraw", kwargs={"pk": case.pk}), {"reason": "重复申报"}
    )
    assert messages_of(response) == [("success", "案例已撤回。")]
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    (event,) = events(case, CaseEventKind.WITHDRAWN)
    assert (event.actor, event.note) == (locality, "重复申报")


def test_events_are_shown_to_the_locality_and_administrators(
    locality_client, office, campaign, locality, administrator
):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.return_case(case=case, by=administrator, reason="请补充")
    for page in (
        locality_client.get(detail_url(case)),
        office.get(reverse("manage:case-detail", kwargs={"pk": case.pk})),
    ):
        html = page.content.decode()
        assert "办理记录" in html
        for label in ("<strong>提交</strong>", "<strong>退回修改</strong>", "请补充"):
            assert label in html
        assert str(locality) in html and str(administrator) in html


def test_bulk_accept(office, campaign, locality, administrator):
    cases = [submitted_case(campaign, locality.organisation, locality) for _ in range(3)]
    untouched = submitted_case(campaign, locality.organisation, locality)
    response = office.post(
        reverse("manage:submissions-bulk", kwargs={"pk": campaign.pk}),
        {"action": "accept", "cases": [c.pk for c in cases], "querystring": "status=submitted"},
    )
    assert response.url.endswith("?status=submitted")
    assert messages_of(response) == [("success", "已处理 3 个案例。")]
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.ACCEPTED
        assert [e.actor for e in events(case, CaseEventKind.ACCEPTED)] == [administrator]
        assert len(notifications("case_accepted", case)) == 1
    untouched.refresh_from_db()
    assert untouched.status == CaseStatus.SUBMITTED


def test_bulk_return_with_a_reason(office, campaign, locality):
    cases = [submitted_case(campaign, locality.organisation, locality) for _ in range(2)]
    office.post(
        reverse("manage:submissions-bulk", kwargs={"pk": campaign.pk}),
        {"action": "return", "cases": [c.pk for c in cases], "reason": "统一补充推荐函"},
    )
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.RETURNED
        assert events(case, CaseEventKind.RETURNED)[0].note == "统一补充推荐函"


@pytest.mark.parametrize("action", ["return", "ineligible"])
def test_bulk_return_without_a_reason_changes_nothing(office, campaign, locality, action):
    cases = [submitted_case(campaign, locality.organisation, locality) for _ in range(2)]
    n_events = CaseEvent.objects.count()
    n_notes = Notification.objects.count()
    response = office.post(
        reverse("manage:submissions-bulk", kwargs={"pk": campaign.pk}),
        {"action": action, "cases": [c.pk for c in cases], "reason": " "},
    )
    assert "必须填写理由" in message_text(response)
    assert all(
        s == CaseStatus.SUBMITTED
        for s in Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)
    )
    assert CaseEvent.objects.count() == n_events
    assert Notification.objects.count() == n_notes


def test_bulk_cannot_reach_another_campaigns_cases(office, campaign, locality):
    other_campaign = open_campaign()
    foreign = submitted_case(other_campaign, locality.organisation, locality)
    office.post(
        reverse("manage:submissions-bulk", kwargs={"pk": campaign.pk}),
        {"action": "accept", "cases": [foreign.pk]},
    )
    foreign.refresh_from_db()
    assert foreign.status == CaseStatus.SUBMITTED


# The formal-check list --------------------------------------------------------------------


@pytest.fixture
def listed(campaign, administrator):
    """Cases of two cities, two fields and every status; what each filter should list."""
    c1, c2 = CityFactory(name="甲市"), CityFactory(name="乙市")
    o1, o2 = CountyFactory(parent=c1, name="甲县"), CountyFactory(parent=c2, name="乙县")
    f1, f2 = FieldFactory(name="数字化改革"), FieldFactory(name="营商环境")
    u1 = UserFactory(role=Role.LOCALITY, organisation=o1)
    u2 = UserFactory(role=Role.LOCALITY, organisation=o2)

    def make(org, user, field, title, status):
        case = submitted_case(campaign, org, user, field=field, title=title)
        if status == CaseStatus.ACCEPTED:
            submission_services.accept_case(case=case, by=administrator)
        elif status == CaseStatus.RETURNED:
            submission_services.return_case(case=case, by=administrator, reason="补")
        elif status == CaseStatus.INELIGIBLE:
            submission_services.mark_ineligible(case=case, by=administrator, reason="不符")
        elif status == CaseStatus.WITHDRAWN:
            submission_services.withdraw_case(case=case, by=user)
        return case

    make(o1, u1, f1, "数字政府甲", CaseStatus.SUBMITTED)
    make(o2, u2, f2, "营商改革乙", CaseStatus.ACCEPTED)
    make(o1, u1, f2, "数字经济丙", CaseStatus.RETURNED)
    make(o1, u1, f1, "基层治理丁", CaseStatus.INELIGIBLE)
    make(o2, u2, f1, "撤回的戊", CaseStatus.WITHDRAWN)
    draft_case(campaign, o2, title="草稿己", field=f1)
    submitted_case(open_campaign(), o1, u1, title="别的活动庚")
    return {"c1": c1, "c2": c2, "o1": o1, "o2": o2, "f1": f1, "f2": f2}


def _titles(response):
    assert response.status_code == 200
    return sorted(c.title for c in response.context["page"])


@pytest.mark.parametrize(
    "query,expected",
    [
        ({}, ["基层治理丁", "数字政府甲", "数字经济丙", "撤回的戊", "营商改革乙"]),
        ({"status": "submitted"}, ["数字政府甲"]),
        ({"status": "draft"}, []),
        ({"organisation": "o2"}, ["撤回的戊", "营商改革乙"]),
        ({"city": "c1"}, ["基层治理丁", "数字政府甲", "数字经济丙"]),
        ({"field": "f1"}, ["基层治理丁", "撤回的戊", "数字政府甲"]),
        ({"q": "数字"}, ["数字政府甲", "数字经济丙"]),
        ({"city": "c1", "field": "f2"}, ["数字经济丙"]),
        ({"q": "数字", "status": "returned"}, ["数字经济丙"]),
    ],
)
def test_submission_list_filters(office, campaign, listed, query, expected):
    params = {k: (listed[v].pk if v in listed else v) for k, v in query.items()}
    url = reverse("manage:submissions", kwargs={"pk": campaign.pk})
    assert _titles(office.get(url, params)) == sorted(expected)


def test_submission_list_counts_per_status(office, campaign, listed):
    response = office.get(reverse("manage:submissions", kwargs={"pk": campaign.pk}))
    counts = {value: n for value, _label, n in response.context["status_rows"]}
    assert counts == {
        "submitted": 1,
        "returned": 1,
        "accepted": 1,
        "ineligible": 1,
        "withdrawn": 1,
    }
    html = response.content.decode()
    assert '已提交 <span class="badge text-bg-light">1</span>' in html
    assert "草稿己" not in html and "别的活动庚" not in html


def test_export_reads_back_with_the_listed_rows(office, campaign, listed):
    url = reverse("manage:submissions-export", kwargs={"pk": campaign.pk})
    response = office.get(url, {"city": listed["c1"].pk})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="submissions-{campaign.year}.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "案例名称", "申报单位", "设区市", "领域", "状态")
    body = sorted(rows[1:], key=lambda r: r[1])
    assert [r[1] for r in body] == ["基层治理丁", "数字政府甲", "数字经济丙"]
    by_title = {r[1]: r for r in body}
    assert by_title["数字政府甲"][2:6] == ("甲县", "甲市", "数字化改革", "已提交")
    assert by_title["数字经济丙"][5] == "已退回"
    assert by_title["数字政府甲"][7] == 2  # two attachments
    assert by_title["数字政府甲"][9] == TEXT["contact_phone"]
    listed_ids = {c.pk for c in Case.objects.filter(title__in=[r[1] for r in body])}
    assert {r[0] for r in body} == listed_ids


def test_export_without_filters_lists_every_submission(office, campaign, listed):
    url = reverse("manage:submissions-export", kwargs={"pk": campaign.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(office.get(url).content)).active
    titles = sorted(r[1] for r in list(sheet.iter_rows(values_only=True))[1:])
    assert titles == sorted(["基层治理丁", "数字政府甲", "数字经济丙", "撤回的戊", "营商改革乙"])


# No open campaign --------------------------------------------------------------------------


def test_new_case_without_an_open_campaign_says_when_the_next_opens(db, locality_client):
    CampaignFactory()  # published
    opens = timezone.now() + timedelta(days=20)
    CampaignFactory(
        status=CampaignStatus.DRAFT,
        published_at=None,
        title="下一年度评选",
        submission_opens_at=opens,
        submission_closes_at=opens + timedelta(days=30),
    )
    CampaignFactory(
        status=CampaignStatus.DRAFT,
        published_at=None,
        title="更晚的评选",
        submission_opens_at=opens + timedelta(days=200),
    )
    response = locality_client.get(reverse("cases:new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "目前没有正在征集案例的评选活动" in html
    with translation.override("zh-hans"):
        shown = formats.date_format(timezone.localtime(opens), "DATETIME_FORMAT")
    assert "下一年度评选" in html and shown in html
    assert "更晚的评选" not in html
    # Nor can a draft be posted into a campaign that is not open.
    locality_client.post(reverse("cases:new"), {"title": "强行申报", "form_token": uuid.uuid4()})
    assert not Case.objects.exists()


def test_new_case_without_any_campaign_coming(db, locality_client):
    html = locality_client.get(reverse("cases:new")).content.decode()
    assert "目前没有正在征集案例的评选活动" in html
    assert "下一次征集" not in html


def test_new_case_form_when_a_campaign_is_open(locality_client, campaign):
    response = locality_client.get(reverse("cases:new"))
    html = response.content.decode()
    assert campaign.title in html
    for name in ("title", "field", "co_organisations", "summary", "contact_phone"):
        assert f'name="{name}"' in html
    assert 'maxlength="500"' in html and 'maxlength="5000"' in html
    assert "data-searchable" in html


# Two requests at the same moment (PostgreSQL: real row locks) -------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def _race(first_case, second_case, user):
    """Submit `first_case` and hold its transaction open while `second_case` is submitted.

    Returns what the second submission answered. If the second one waits for a lock
    the first holds, the first commits after a short wait and the second then proceeds.
    """
    first_done, second_done = threading.Event(), threading.Event()
    answers, errors = [], []

    def first():
        try:
            with transaction.atomic():
                submission_services.submit_case(case=first_case, by=user)
                first_done.set()
                second_done.wait(timeout=2)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            first_done.set()
            connections.close_all()

    def second():
        try:
            first_done.wait(timeout=10)
            submission_services.submit_case(case=second_case, by=user)
            answers.append("submitted")
        except ValidationError as exc:
            answers.append(" ".join(exc.messages))
        except Exception as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors, errors
    return answers[0]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_case_make_one(owning_organisation, locality):
    case = complete_case(open_campaign(), owning_organisation, locality)
    answer = _race(case, case, locality)
    assert "无需重复提交" in answer
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.SUBMITTED).count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_respect_the_per_organisation_limit(
    owning_organisation, locality
):
    campaign = open_campaign(max_cases_per_organisation=1)
    first = complete_case(campaign, owning_organisation, locality)
    second = complete_case(campaign, owning_organisation, locality)
    answer = _race(first, second, locality)
    submitted = Case.objects.filter(campaign=campaign, status=CaseStatus.SUBMITTED).count()
    assert submitted == 1, f"limit 1, but {submitted} cases were submitted"
    assert "最多申报 1 个案例" in answer
