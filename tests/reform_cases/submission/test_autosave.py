"""Nothing typed is ever lost (issue 16): the edit page's autosave endpoint, and the upload
that saves the typed draft together with its file."""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reform_cases.models import Attachment, AttachmentKind, Campaign, Case
from reform_cases.submission import services as submission_services
from tests.factories import (
    attach,
    draft_case,
    form_data,
    open_campaign,
    pdf,
    submitted_case,
)
from tests.helpers import client_of, message_text, section


def png_named_pdf():
    return SimpleUploadedFile("扫描件.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


CONFLICT = "此草稿已被他人(或另一窗口)修改并保存。"
STOPPED = "自动保存已停止。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def campaign(db):
    return open_campaign()


@pytest.fixture
def draft(campaign, owning_organisation):
    return draft_case(campaign, owning_organisation, title="自动保存的草稿", summary="最初的简介。")


@pytest.fixture
def locality(make_user):
    return client_of(make_user("locality"))


def autosave_url(case):
    return reverse("cases:autosave", kwargs={"pk": case.pk})


def edit_url(case):
    return reverse("cases:edit", kwargs={"pk": case.pk})


def answer(response) -> dict:
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    return json.loads(response.content)


def stored(case) -> tuple:
    case.refresh_from_db()
    return case.summary, case.measures, case.edit_version


# The endpoint ----------------------------------------------------------------------------


def test_an_autosave_saves_the_draft_and_answers_the_new_version_and_the_time(draft, locality):
    before = timezone.now()
    response = locality.post(autosave_url(draft), form_data(draft, summary="自动保存的简介。"))

    assert response.status_code == 200
    body = answer(response)
    assert (body["status"], body["version"]) == ("saved", 2)
    assert stored(draft) == ("自动保存的简介。", "", 2)
    # The time is Beijing time, to the minute, and the note says it.
    beijing = timezone.localtime(draft.updated_at, ZoneInfo("Asia/Shanghai"))
    assert body["saved_at"] == beijing.strftime("%H:%M")
    assert body["message"] == f"已自动保存 {body['saved_at']}"
    assert draft.updated_at >= before


def test_one_tab_holding_each_answered_version_never_conflicts_with_itself(draft, locality):
    version = draft.edit_version
    for n in range(1, 4):
        data = form_data(draft, summary=f"第 {n} 次自动保存。", edit_version=version)
        body = answer(locality.post(autosave_url(draft), data))
        assert body["status"] == "saved"
        version = body["version"]
    assert stored(draft) == ("第 3 次自动保存。", "", 4)
    # And the normal save from the same page (holding the last version) goes through too.
    response = locality.post(edit_url(draft), form_data(draft, summary="手动保存。"))
    assert response.status_code == 302
    assert stored(draft) == ("手动保存。", "", 5)


def test_a_stale_autosave_answers_a_conflict_and_saves_nothing(draft, locality, make_user):
    other_tab = client_of(make_user("locality"))
    assert answer(other_tab.post(autosave_url(draft), form_data(draft, summary="甲的简介。")))[
        "status"
    ] == ("saved")
    stale = form_data(draft, summary="乙的简介。", measures="乙的做法。", edit_version=1)

    response = locality.post(autosave_url(draft), stale)

    assert response.status_code == 409
    body = answer(response)
    assert body["status"] == "conflict"
    assert CONFLICT in body["message"] and STOPPED in body["message"]
    assert "保存草稿" in body["message"]  # a normal save shows both texts to choose
    assert stored(draft) == ("甲的简介。", "", 2)


def test_a_stale_autosave_of_exactly_the_stored_text_is_no_conflict(draft, locality):
    same = form_data(draft, summary="两个窗口一样。")
    assert answer(locality.post(autosave_url(draft), same))["version"] == 2
    body = answer(locality.post(autosave_url(draft), same))  # still at version 1
    assert (body["status"], body["version"]) == ("saved", 2)  # the page catches up
    assert stored(draft) == ("两个窗口一样。", "", 2)


@pytest.mark.parametrize("forged", ["", "abc", "0", "99", "99999999999999999999"])
def test_a_forged_version_stops_autosave(draft, locality, forged):
    response = locality.post(
        autosave_url(draft), form_data(draft, summary="伪造的版本。", edit_version=forged)
    )
    assert response.status_code == 409
    body = answer(response)
    assert body["status"] == "conflict" and "版本信息无效" in body["message"]
    assert stored(draft) == ("最初的简介。", "", 1)


def test_after_the_deadline_autosave_is_refused_with_the_reason(draft, locality, campaign):
    closes = timezone.now() - timedelta(minutes=1)
    Campaign.objects.filter(pk=campaign.pk).update(submission_closes_at=closes)

    response = locality.post(autosave_url(draft), form_data(draft, summary="截止后写的。"))

    assert response.status_code == 403
    body = answer(response)
    assert body["status"] == "closed"
    assert "申报截止时间" in body["message"] and "已过" in body["message"]
    assert STOPPED in body["message"]
    assert stored(draft) == ("最初的简介。", "", 1)


def test_a_submitted_case_is_not_autosaved(campaign, owning_organisation, make_user):
    user = make_user("locality")
    case = submitted_case(campaign, owning_organisation, user)
    response = client_of(user).post(autosave_url(case), form_data(case, summary="提交后写的。"))
    assert response.status_code == 403
    assert answer(response)["status"] == "closed"
    case.refresh_from_db()
    assert case.summary != "提交后写的。"


@pytest.mark.parametrize(
    "field,value,error",
    [
        ("summary", "甲\x00乙", "summary"),
        ("measures", "长" * 5001, "measures"),
        ("title", "题" * 201, "title"),
        ("contact_phone", "12345", "contact_phone"),
        ("field", "-1", "field"),
        ("co_organisations", "abc", "co_organisations"),
    ],
)
def test_invalid_input_is_answered_field_by_field_and_nothing_is_saved(
    draft, locality, field, value, error
):
    response = locality.post(autosave_url(draft), form_data(draft, **{field: value}))

    assert response.status_code == 400
    body = answer(response)
    assert body["status"] == "invalid"
    assert list(body["errors"]) == [error]
    assert body["errors"][error] and body["labels"][error]
    assert body["message"].startswith("自动保存未完成:")
    assert stored(draft) == ("最初的简介。", "", 1)


def test_a_title_taken_in_the_campaign_is_a_field_error(draft, locality, campaign):
    draft_case(campaign, draft.organisation, title="已有的标题")
    response = locality.post(autosave_url(draft), form_data(draft, title="已有的标题"))
    assert response.status_code == 400
    assert list(answer(response)["errors"]) == ["title"]


def test_who_may_not_autosave_gets_json_and_changes_nothing(draft, make_user):
    data = form_data(draft, summary="不该保存的。")
    answers = {
        "anonymous": (Client(), 401, "login"),
        "other_locality": (client_of(make_user("other_locality")), 404, "not_found"),
        "expert": (client_of(make_user("expert")), 403, "forbidden"),
        "administrator": (client_of(make_user("administrator")), 403, "forbidden"),
    }
    for role, (client, code, status) in answers.items():
        response = client.post(autosave_url(draft), data)
        assert response.status_code == code, role
        assert answer(response)["status"] == status, role
    assert stored(draft) == ("最初的简介。", "", 1)


def test_a_get_is_answered_in_json_too(draft, locality):
    response = locality.get(autosave_url(draft))
    assert response.status_code == 405
    assert answer(response)["status"] == "method"


def test_autosave_queries_do_not_grow_with_the_co_organisations(
    draft, locality, django_assert_max_num_queries
):
    from tests.factories import CountyFactory

    counties = [CountyFactory() for _ in range(8)]
    for n in (1, 8):
        data = form_data(draft, summary=f"{n} 个共同实施单位。")
        data["co_organisations"] = [c.pk for c in counties[:n]]
        with django_assert_max_num_queries(25):
            assert answer(locality.post(autosave_url(draft), data))["status"] == "saved"
        draft.refresh_from_db()


# The edit page ---------------------------------------------------------------------------


def test_the_edit_page_names_the_endpoint_and_the_deadline(draft, locality, campaign):
    html = locality.get(edit_url(draft)).content.decode()
    form = re.search(r'<form id="autosave"[^>]*>', html).group(0)
    assert f'action="{autosave_url(draft)}"' in form
    assert 'data-form="case-form"' in form
    closes = timezone.localtime(campaign.submission_closes_at).isoformat()
    assert f'data-closes-at="{closes[:19]}' in form
    assert 'id="autosave-status"' in html and 'aria-live="polite"' in html
    assert "js/autosave.js" in html and "js/unsaved.js" in html
    assert 'id="case-form"' in html and "data-warn-unsaved" in html
    assert "data-unsaved-on-load" not in html


def test_a_returned_cases_autosave_deadline_is_its_own(campaign, owning_organisation, make_user):
    user = make_user("locality")
    case = submitted_case(campaign, owning_organisation, user)
    revise_by = timezone.now() + timedelta(days=3)
    submission_services.return_case(
        case=case, by=make_user("administrator"), reason="请补充。", revise_by=revise_by
    )
    html = client_of(user).get(edit_url(case)).content.decode()
    assert f'data-closes-at="{timezone.localtime(revise_by).isoformat()[:19]}' in html


def test_the_comparison_after_a_refused_save_does_not_autosave(draft, locality, make_user):
    other = client_of(make_user("locality"))
    assert other.post(edit_url(draft), form_data(draft, summary="甲的。")).status_code == 302
    html = locality.post(edit_url(draft), form_data(draft, summary="乙的。")).content.decode()
    assert section(html, "draft-conflict")
    assert 'id="autosave"' not in html and "js/autosave.js" not in html
    assert "data-unsaved-on-load" in html  # leaving warns: what is typed is not saved


# Upload with unsaved text ----------------------------------------------------------------


def with_file(data, document, kind=AttachmentKind.SUPPORTING, **buttons):
    return {**data, "kind": str(kind), "file": document, **buttons}


def test_uploading_saves_the_typed_sections_with_the_file(draft, locality):
    typed = form_data(
        draft, summary="还没保存的简介。", measures="还没保存的做法。", results="还没保存的成效。"
    )
    response = locality.post(edit_url(draft), with_file(typed, pdf("佐证.pdf"), upload="1"))

    assert response.status_code == 302 and response.url == edit_url(draft)
    assert "附件已上传" in message_text(response)
    draft.refresh_from_db()
    assert (draft.summary, draft.measures, draft.results, draft.edit_version) == (
        "还没保存的简介。",
        "还没保存的做法。",
        "还没保存的成效。",
        2,
    )
    assert list(draft.attachments.values_list("original_name", "kind")) == [
        ("佐证.pdf", AttachmentKind.SUPPORTING)
    ]
    page = locality.get(edit_url(draft)).content.decode()
    assert "还没保存的做法。" in page and "佐证.pdf" in page


def test_a_file_chosen_before_saving_goes_with_the_save_button_too(draft, locality):
    typed = form_data(draft, summary="先选了文件再点保存。")
    response = locality.post(edit_url(draft), with_file(typed, pdf("申报书.pdf"), save="1"))
    assert response.status_code == 302
    assert stored(draft)[0] == "先选了文件再点保存。"
    assert draft.attachments.count() == 1


def test_upload_without_a_file_still_saves_the_text_and_says_so(draft, locality):
    typed = form_data(draft, summary="点了上传却没选文件。")
    response = locality.post(edit_url(draft), {**typed, "upload": "1"})
    assert response.status_code == 302
    assert "没有选择文件" in message_text(response)
    assert stored(draft)[0] == "点了上传却没选文件。"
    assert not draft.attachments.exists()


def test_an_upload_from_a_stale_page_keeps_the_text_and_the_upload_form(draft, locality, make_user):
    other = client_of(make_user("locality"))
    assert other.post(edit_url(draft), form_data(draft, summary="甲的简介。")).status_code == 302
    typed = form_data(draft, summary="乙还没保存的简介。", measures="乙的做法。")

    response = locality.post(edit_url(draft), with_file(typed, pdf("乙的佐证.pdf"), upload="1"))

    assert response.status_code == 200
    assert "乙的佐证.pdf" in message_text(response) and "尚未上传" in message_text(response)
    html = response.content.decode()
    assert "乙还没保存的简介。" in html and "乙的做法。" in html
    assert "甲的简介。" in section(html, "draft-conflict")
    assert 'name="file"' in html and 'name="upload"' in html  # the upload form stays
    assert stored(draft) == ("甲的简介。", "", 2)
    assert not Attachment.objects.exists()


def test_a_refused_file_keeps_the_text_on_the_page_and_saves_neither(draft, locality):
    typed = form_data(draft, summary="文件不对时写的简介。")
    response = locality.post(edit_url(draft), with_file(typed, png_named_pdf(), upload="1"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "文件不对时写的简介。" in html
    assert "invalid-feedback" in html and "与扩展名不符" in html
    assert "尚未上传" in message_text(response)
    assert stored(draft) == ("最初的简介。", "", 1)
    assert not Attachment.objects.exists()


def test_an_invalid_section_refuses_the_upload_and_keeps_everything(draft, locality):
    typed = form_data(draft, summary="简介很好。", contact_phone="12345")
    response = locality.post(edit_url(draft), with_file(typed, pdf("佐证.pdf"), upload="1"))
    assert response.status_code == 200
    assert "简介很好。" in response.content.decode()
    assert "尚未上传" in message_text(response)
    assert stored(draft) == ("最初的简介。", "", 1)
    assert not Attachment.objects.exists()


def test_the_eleventh_file_is_refused_and_the_text_kept(draft, locality):
    user = locality.user
    for n in range(submission_services.MAX_ATTACHMENTS):
        attach(draft, user, name=f"第{n}个.pdf")
    draft.refresh_from_db()
    typed = form_data(draft, summary="第十一个文件时写的。")
    response = locality.post(edit_url(draft), with_file(typed, pdf("多余的.pdf"), upload="1"))
    assert response.status_code == 200
    assert "第十一个文件时写的。" in response.content.decode()
    assert "最多上传" in response.content.decode()
    assert draft.attachments.count() == submission_services.MAX_ATTACHMENTS
    assert Case.objects.get(pk=draft.pk).summary == "最初的简介。"


def test_removing_a_file_from_the_edit_page_comes_back_to_it(draft, locality):
    attachment = attach(draft, locality.user)
    html = locality.get(edit_url(draft)).content.decode()
    assert f'form="attachment-remove-{attachment.pk}"' in html
    assert f'id="attachment-remove-{attachment.pk}"' in html
    response = locality.post(
        reverse("cases:attachment-remove", kwargs={"pk": draft.pk, "attachment_pk": attachment.pk}),
        {"next": "edit"},
    )
    assert response.status_code == 302 and response.url == edit_url(draft)
    assert not draft.attachments.exists()
