"""After the submission deadline nothing of a draft changes; a returned case keeps its own."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from common.exceptions import InvalidTransition
from common.timefmt import local_datetime
from reform_cases.models import Attachment, AttachmentKind, Campaign, CampaignStatus, CaseStatus
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import services as submission_services
from tests.factories import attach, draft_case, open_campaign, pdf, submitted_case
from tests.helpers import message_text


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
def draft(campaign, owning_organisation):
    return draft_case(campaign, owning_organisation, title="截止前的草稿")


def close_submissions(campaign, **changes):
    """Move time: the submission deadline passed a minute ago."""
    closes = timezone.now() - timedelta(minutes=1)
    Campaign.objects.filter(pk=campaign.pk).update(submission_closes_at=closes, **changes)
    campaign.refresh_from_db()
    return closes


def deadline_message(closes):
    return f"申报截止时间({local_datetime(closes)})已过,草稿不能再修改。"


def test_before_the_deadline_a_draft_and_its_attachments_can_change(draft, locality):
    submission_services.update_draft(case=draft, by=locality, data={"title": "改过的草稿"})
    attachment = attach(draft, locality)
    submission_services.remove_attachment(attachment=attachment, by=locality)
    draft.refresh_from_db()
    assert draft.title == "改过的草稿"
    assert not Attachment.objects.filter(case=draft).exists()
    assert submission_rules.can_edit_case(locality, draft)


def test_after_the_deadline_a_draft_cannot_be_updated(campaign, draft, locality):
    closes = close_submissions(campaign)
    draft.refresh_from_db()
    assert not submission_rules.can_edit_case(locality, draft)
    with pytest.raises(InvalidTransition) as caught:
        submission_services.update_draft(case=draft, by=locality, data={"title": "截止后改的"})
    assert caught.value.messages == [deadline_message(closes)]
    draft.refresh_from_db()
    assert draft.title == "截止前的草稿"


def test_after_the_deadline_no_attachment_is_added_or_removed(campaign, draft, locality):
    kept = attach(draft, locality)
    closes = close_submissions(campaign)
    with pytest.raises(InvalidTransition) as added:
        attach(draft, locality, kind=AttachmentKind.RECOMMENDATION_LETTER, name="推荐函.pdf")
    with pytest.raises(InvalidTransition) as removed:
        submission_services.remove_attachment(attachment=kept, by=locality)
    assert added.value.messages == removed.value.messages == [deadline_message(closes)]
    assert list(Attachment.objects.filter(case=draft)) == [kept]


def test_after_the_deadline_the_pages_refuse_with_the_reason(client, campaign, draft, locality):
    kept = attach(draft, locality)
    closes = close_submissions(campaign)
    client.force_login(locality)

    r = client.post(
        reverse("cases:attachment-add", kwargs={"pk": draft.pk}),
        {"kind": AttachmentKind.RECOMMENDATION_LETTER, "file": pdf("推荐函.pdf")},
        follow=True,
    )
    assert deadline_message(closes) in message_text(r)
    r = client.post(
        reverse("cases:attachment-remove", kwargs={"pk": draft.pk, "attachment_pk": kept.pk}),
        follow=True,
    )
    assert deadline_message(closes) in message_text(r)
    assert list(Attachment.objects.filter(case=draft)) == [kept]
    # The edit page is read-only.
    assert client.get(reverse("cases:edit", kwargs={"pk": draft.pk})).status_code == 302


@pytest.mark.parametrize("status", [CampaignStatus.OPEN, CampaignStatus.CHECKING])
def test_a_returned_case_is_revised_until_its_own_deadline(
    campaign, locality, administrator, status
):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.return_case(
        case=case, by=administrator, reason="请补充推荐函。",
        revise_by=timezone.now() + timedelta(days=3),
    )  # fmt: skip
    close_submissions(campaign, status=status)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED

    submission_services.update_draft(case=case, by=locality, data={"summary": "补充后的简介。"})
    attach(case, locality, kind=AttachmentKind.SUPPORTING, name="补充材料.pdf")
    submission_services.submit_case(case=case, by=locality)
    case.refresh_from_db()
    assert (case.status, case.summary) == (CaseStatus.SUBMITTED, "补充后的简介。")


def test_a_returned_case_is_read_only_after_its_own_deadline(campaign, locality, administrator):
    case = submitted_case(campaign, locality.organisation, locality)
    submission_services.return_case(
        case=case, by=administrator, reason="请补充。", revise_by=timezone.now() + timedelta(days=3)
    )
    close_submissions(campaign)
    type(case).objects.filter(pk=case.pk).update(revise_by=timezone.now() - timedelta(minutes=1))
    case.refresh_from_db()
    with pytest.raises(InvalidTransition, match="修改截止时间"):
        submission_services.update_draft(case=case, by=locality, data={"summary": "晚了。"})


# Starting a draft (issue 15): not once the deadline has passed ------------------------------


def test_after_the_deadline_no_draft_can_be_started(campaign, locality):
    assert submission_rules.can_start_draft(locality, campaign)
    closes = close_submissions(campaign)
    assert not submission_rules.can_start_draft(locality, campaign)
    with pytest.raises(InvalidTransition) as caught:
        submission_services.create_draft(campaign=campaign, by=locality, data={"title": "晚了"})
    assert caught.value.messages == [
        f"申报截止时间({local_datetime(closes)})已过,不能再申报新案例。"
    ]
    assert not campaign.cases.exists()


def test_after_the_deadline_the_pages_offer_no_new_case(client, campaign, draft, locality):
    client.force_login(locality)
    new_url = reverse("cases:new")
    assert f'href="{new_url}"' in client.get(reverse("cases:mine")).content.decode()
    closes = close_submissions(campaign)

    mine = client.get(reverse("cases:mine")).content.decode()
    assert f'href="{new_url}"' not in mine
    assert "申报已截止,不能再申报新案例" in mine
    page = client.get(new_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="title"' not in html  # no form to fill in
    assert f"{campaign.localised_title}的申报已于" in html and "不能再申报新案例" in html
    with translation.override("zh-hans"):
        assert formats.date_format(timezone.localtime(closes), "DATETIME_FORMAT") in html


def test_a_new_case_form_posted_after_the_deadline_is_refused_and_kept(client, campaign, locality):
    client.force_login(locality)
    closes = close_submissions(campaign)
    response = client.post(
        reverse("cases:new"),
        {
            "title": "截止后才保存",
            "summary": "截止后写完的简介。",
            "campaign": campaign.pk,
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"申报截止时间({local_datetime(closes)})已过,不能再申报新案例。" in html
    assert "截止后写完的简介。" in html
    assert not campaign.cases.exists()
