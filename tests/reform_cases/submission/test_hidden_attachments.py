"""Attachments hidden from the experts, and the blind round's warning (issue 15)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.urls import reverse

from common.exceptions import InvalidTransition
from reform_cases.models import (
    Attachment,
    AttachmentKind,
    CampaignStatus,
    CaseEvent,
    CaseEventKind,
)
from reform_cases.submission import services as submission_services
from reviews.scoring import services as scoring_services
from tests.factories import (
    PDF,
    accepted_case_for_review,
    attach,
    confirmed,
    draft_case,
    make_expert,
    make_open_round,
    make_rubric,
    open_campaign,
    reviewing_campaign,
    submitted_case,
)
from tests.helpers import client_of, message_text, score_url

BLIND_NOTICE = "附件(如申报书、推荐函)中仍可能出现单位名称或印章"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def locality(make_user):
    return make_user("locality")


@pytest.fixture
def administrator(make_user):
    return make_user("administrator")


@pytest.fixture
def submitted(locality):
    """A submitted case with its application form and recommendation letter."""
    return submitted_case(open_campaign(), locality.organisation, locality)


def letter(case):
    return case.attachments.get(kind=AttachmentKind.RECOMMENDATION_LETTER)


def visibility_url(attachment):
    return reverse(
        "manage:attachment-visibility",
        kwargs={"pk": attachment.case_id, "attachment_pk": attachment.pk},
    )


def download(client, attachment):
    response = client.get(reverse("cases:attachment", kwargs={"attachment_pk": attachment.pk}))
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
    return response.status_code


# The service -------------------------------------------------------------------------------


def test_hiding_and_showing_are_recorded_with_who_did_it(submitted, administrator):
    attachment = letter(submitted)
    submission_services.set_attachment_hidden(attachment=attachment, by=administrator, hidden=True)
    attachment.refresh_from_db()
    assert attachment.hidden_from_experts
    submission_services.set_attachment_hidden(attachment=attachment, by=administrator, hidden=False)
    attachment.refresh_from_db()
    assert not attachment.hidden_from_experts
    events = CaseEvent.objects.filter(case=submitted).exclude(kind=CaseEventKind.SUBMITTED)
    assert [(e.kind, e.actor, e.note) for e in events] == [
        (CaseEventKind.ATTACHMENT_HIDDEN, administrator, attachment.original_name),
        (CaseEventKind.ATTACHMENT_SHOWN, administrator, attachment.original_name),
    ]


def test_hiding_twice_records_once(submitted, administrator):
    attachment = letter(submitted)
    for _ in range(2):
        submission_services.set_attachment_hidden(
            attachment=attachment, by=administrator, hidden=True
        )
    assert CaseEvent.objects.filter(kind=CaseEventKind.ATTACHMENT_HIDDEN).count() == 1


def test_only_the_office_may_hide(submitted, locality, make_user):
    for user in (locality, make_user("expert")):
        with pytest.raises(PermissionDenied):
            submission_services.set_attachment_hidden(
                attachment=letter(submitted), by=user, hidden=True
            )
    assert not letter(submitted).hidden_from_experts


def test_a_draft_is_not_yet_the_offices_to_hide_from(locality, administrator):
    draft = draft_case(open_campaign(), locality.organisation, title="草稿")
    attachment = attach(draft, locality)
    with pytest.raises(InvalidTransition, match="案例当前状态为“草稿”"):
        submission_services.set_attachment_hidden(
            attachment=attachment, by=administrator, hidden=True
        )


@pytest.mark.parametrize("status", [CampaignStatus.CHECKING, CampaignStatus.REVIEWING])
def test_hiding_is_allowed_through_the_formal_check_and_the_review(
    submitted, administrator, status
):
    type(submitted.campaign).objects.filter(pk=submitted.campaign_id).update(status=status)
    submission_services.set_attachment_hidden(
        attachment=letter(submitted), by=administrator, hidden=True
    )
    assert letter(submitted).hidden_from_experts


@pytest.mark.parametrize("status", [CampaignStatus.RANKING, CampaignStatus.PUBLISHED])
def test_hiding_is_refused_once_the_review_is_over(submitted, administrator, status):
    type(submitted.campaign).objects.filter(pk=submitted.campaign_id).update(status=status)
    with pytest.raises(InvalidTransition, match="专家评审已经结束"):
        submission_services.set_attachment_hidden(
            attachment=letter(submitted), by=administrator, hidden=True
        )
    assert not CaseEvent.objects.filter(kind=CaseEventKind.ATTACHMENT_HIDDEN).exists()


# The formal-check page ---------------------------------------------------------------------


def test_the_formal_check_page_hides_a_file_from_the_experts(submitted, administrator):
    office = client_of(administrator)
    detail = reverse("manage:case-detail", kwargs={"pk": submitted.pk})
    attachment = letter(submitted)
    html = office.get(detail).content.decode()
    assert f'action="{visibility_url(attachment)}"' in html
    assert "data-confirm=" in html

    response = office.post(visibility_url(attachment), {"hidden": "1"}, follow=True)

    assert response.redirect_chain == [(detail, 302)]
    assert f"附件“{attachment.original_name}”已对专家隐藏。" in message_text(response)
    html = response.content.decode()
    assert "不向专家显示</span>" in html  # the badge
    assert "恢复对专家显示" in html
    assert "附件对专家隐藏" in html  # the event, in the case's record
    attachment.refresh_from_db()
    assert attachment.hidden_from_experts


@pytest.mark.parametrize("hidden", ["", "yes", "2"])
def test_a_bad_choice_is_a_message(submitted, administrator, hidden):
    response = client_of(administrator).post(visibility_url(letter(submitted)), {"hidden": hidden})
    assert response.status_code == 302
    assert "请选择对专家隐藏或显示该附件。" in message_text(response)
    assert not letter(submitted).hidden_from_experts


def test_an_attachment_of_another_case_is_a_404(submitted, administrator, locality):
    other = submitted_case(submitted.campaign, locality.organisation, locality)
    url = reverse(
        "manage:attachment-visibility",
        kwargs={"pk": other.pk, "attachment_pk": letter(submitted).pk},
    )
    assert client_of(administrator).post(url, {"hidden": "1"}).status_code == 404


def test_no_button_once_the_review_is_over(submitted, administrator):
    type(submitted.campaign).objects.filter(pk=submitted.campaign_id).update(
        status=CampaignStatus.RANKING
    )
    html = (
        client_of(administrator)
        .get(reverse("manage:case-detail", kwargs={"pk": submitted.pk}))
        .content.decode()
    )
    assert visibility_url(letter(submitted)) not in html


# The expert's side -------------------------------------------------------------------------


@pytest.fixture
def review(locality):
    """An expert assigned to an accepted case with two files, one of them hidden."""
    campaign = reviewing_campaign()
    make_rubric(campaign)
    case = accepted_case_for_review(campaign, locality.organisation, title="隐藏附件的案例")
    shown = attach_as_office(case, "申报书(匿名版).pdf")
    hidden = attach_as_office(case, "推荐函(盖章).pdf", hidden=True)
    round = make_open_round(campaign, cases=[case], blind=True)
    expert = make_expert(name="匿名评审专家")
    assignment = confirmed(round, case, expert)
    return case, shown, hidden, assignment, expert


def attach_as_office(case, name, hidden=False):
    """A file stored on an accepted case (the locality uploaded it before submitting)."""
    attachment = Attachment(
        case=case,
        kind=AttachmentKind.SUPPORTING,
        original_name=name,
        content_type="application/pdf",
        size=len(PDF),
        hidden_from_experts=hidden,
    )
    attachment.file.save(name, ContentFile(PDF), save=False)
    attachment.save()
    return attachment


def test_an_expert_neither_sees_nor_downloads_a_hidden_file(review):
    _, shown, hidden, assignment, expert = review
    client = client_of(expert)
    scoring_services.accept_pledge(review_round=assignment.round, expert=expert)
    html = client.get(score_url(assignment)).content.decode()
    assert "申报书(匿名版).pdf" in html
    assert "推荐函(盖章).pdf" not in html
    assert reverse("cases:attachment", kwargs={"attachment_pk": hidden.pk}) not in html
    assert download(client, shown) == 200
    assert download(client, hidden) == 404


def test_the_office_and_the_locality_still_download_a_hidden_file(review, administrator, locality):
    _, _, hidden, _, _ = review
    assert download(client_of(administrator), hidden) == 200
    assert download(client_of(locality), hidden) == 200


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_a_blind_round_warns_that_files_may_reveal_the_organisation(review, blind):
    _, _, _, assignment, expert = review
    type(assignment.round).objects.filter(pk=assignment.round_id).update(blind=blind)
    scoring_services.accept_pledge(review_round=assignment.round, expert=expert)
    html = client_of(expert).get(score_url(assignment)).content.decode()
    assert (BLIND_NOTICE in html) is blind
