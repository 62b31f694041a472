"""The records of the review (submitted reviews, their scores and events, tier overrides,
round events) cannot be erased: not through the Django admin, and not by deleting what
they belong to. A tier that a ranking names cannot be deleted either."""

from types import SimpleNamespace

import pytest
from django.db.models import ProtectedError

from reviews.models import (
    RankingEntry,
    Review,
    ReviewEvent,
    RoundEvent,
    RoundEventKind,
    Score,
    TierOverride,
)
from tests.factories import (
    UserFactory,
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
    review_of,
    round_event,
    tier_override,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(desk):
    """The desk's review, scored and submitted through the service (scores and an event)."""
    desk.review = review_of(desk.assignment, desk.criteria, ["20", "15", "12"])
    return desk


@pytest.fixture
def ranked(db):
    """A round of a campaign being ranked: one case proposed 最佳, overridden to 优秀."""
    s = SimpleNamespace()
    s.office = UserFactory(administrator=True, display_name="组织方小李")
    s.campaign = ranking_campaign()
    s.case = accepted_case_for_ranking(s.campaign, "“最多跑一次”改革")
    s.round = make_closed_round(s.campaign, cases=[s.case])
    s.entry = ranking_entry(s.round, s.case, s.campaign.best)
    s.override = tier_override(s.entry, by=s.office, to=s.campaign.excellent)
    s.event = round_event(s.round, by=s.office, kind=RoundEventKind.RANKING_COMPUTED)
    return s


def offered_actions(response):
    form = response.context["action_form"]
    return {value for value, _label in form.fields["action"].choices} if form else set()


@pytest.fixture(params=["review", "reviewevent", "tieroverride", "roundevent"])
def record(request, submitted, ranked):
    row = {
        "review": submitted.review,
        "reviewevent": submitted.review.events.get(),
        "tieroverride": ranked.override,
        "roundevent": ranked.event,
    }[request.param]
    row.admin_url = f"/admin/reviews/{request.param}/"
    return row


# --- the Django admin ---------------------------------------------------------------------


def test_the_admin_refuses_to_show_the_delete_page_of_a_review_record(superuser_client, record):
    assert superuser_client.get(f"{record.admin_url}{record.pk}/delete/").status_code == 403


def test_the_admin_refuses_to_delete_a_review_record_when_the_delete_page_is_posted(
    superuser_client, record
):
    r = superuser_client.post(f"{record.admin_url}{record.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_admin_list_of_review_records_offers_no_delete_action(superuser_client, record):
    r = superuser_client.get(record.admin_url)
    assert r.status_code == 200
    assert r.context["cl"].result_count == 1
    assert "delete_selected" not in offered_actions(r)


def test_posting_the_delete_action_to_a_list_of_review_records_deletes_nothing(
    superuser_client, record
):
    superuser_client.post(
        record.admin_url, {"action": "delete_selected", "_selected_action": [record.pk]}
    )
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_admin_cannot_add_or_change_a_review_record(superuser_client, record):
    assert superuser_client.get(f"{record.admin_url}add/").status_code == 403
    r = superuser_client.get(f"{record.admin_url}{record.pk}/change/")
    assert r.status_code == 200  # view only
    assert not r.context["has_change_permission"]
    assert not r.context["has_delete_permission"]


def test_scores_have_no_admin_page_of_their_own(superuser_client, submitted):
    assert superuser_client.get("/admin/reviews/score/").status_code == 404


def test_the_review_page_shows_its_scores_and_events_without_delete_boxes(
    superuser_client, submitted
):
    r = superuser_client.get(f"/admin/reviews/review/{submitted.review.pk}/change/")

    html = r.content.decode()
    assert r.status_code == 200
    assert "创新性" in html and "实效性" in html  # the scores, read-only
    assert "已提交" in html  # the submission event
    assert "DELETE" not in html


# --- the round's events -------------------------------------------------------------------


def test_a_round_event_records_who_did_what_to_which_round_and_when(ranked):
    later = RoundEvent.objects.create(
        round=ranked.round,
        actor=ranked.office,
        kind=RoundEventKind.RANKING_LOCKED,
        note="评审组确认。",
    )

    assert list(ranked.round.events.all()) == [ranked.event, later]  # oldest first
    later.refresh_from_db()
    assert (later.actor, later.kind, later.note) == (
        ranked.office,
        RoundEventKind.RANKING_LOCKED,
        "评审组确认。",
    )
    assert later.at is not None
    assert "锁定排名" in str(later)


def test_round_events_are_listed_read_only_in_the_admin(superuser_client, ranked):
    r = superuser_client.get("/admin/reviews/roundevent/")

    assert r.status_code == 200
    assert list(r.context["cl"].result_list) == [ranked.event]
    assert "计算排名" in r.content.decode()
    assert not r.context["has_add_permission"]


# --- the database -------------------------------------------------------------------------


def test_a_review_with_scores_cannot_be_deleted(submitted):
    review = submitted.review
    scores = Score.objects.filter(review=review).count()

    with pytest.raises(ProtectedError):
        review.delete()

    assert Score.objects.filter(review=review).count() == scores == len(submitted.criteria)


def test_a_review_with_events_cannot_be_deleted(submitted):
    review = submitted.review
    Score.objects.filter(review=review).delete()  # leave only the event in the way

    with pytest.raises(ProtectedError):
        review.delete()

    assert ReviewEvent.objects.filter(review=review).exists()


def test_an_assignment_with_a_review_cannot_be_deleted(submitted):
    with pytest.raises(ProtectedError):
        submitted.assignment.delete()

    assert Review.objects.filter(assignment=submitted.assignment).exists()


def test_a_round_with_events_cannot_be_deleted(ranked):
    TierOverride.objects.all().delete()  # leave only the round's event in the way

    with pytest.raises(ProtectedError):
        ranked.round.delete()

    assert RoundEvent.objects.filter(round=ranked.round).exists()


def test_a_ranking_entry_with_a_tier_override_cannot_be_deleted(ranked):
    with pytest.raises(ProtectedError):
        ranked.entry.delete()

    assert TierOverride.objects.filter(entry=ranked.entry).exists()


def test_a_case_whose_ranking_entry_has_an_override_cannot_be_deleted(ranked):
    with pytest.raises(ProtectedError):
        ranked.case.delete()

    assert RankingEntry.objects.filter(case=ranked.case).exists()


def test_a_tier_a_ranking_entry_gives_cannot_be_deleted(ranked):
    TierOverride.objects.all().delete()  # only the entry (final tier 优秀) names it now

    with pytest.raises(ProtectedError):
        ranked.campaign.excellent.delete()


def test_a_tier_a_ranking_entry_proposes_cannot_be_deleted(ranked):
    TierOverride.objects.all().delete()  # only the entry (proposed tier 最佳) names it now

    with pytest.raises(ProtectedError):
        ranked.campaign.best.delete()

    ranked.entry.refresh_from_db()
    assert ranked.entry.proposed_tier == ranked.campaign.best


def test_a_tier_named_by_a_tier_override_cannot_be_deleted(ranked):
    RankingEntry.objects.filter(pk=ranked.entry.pk).update(proposed_tier=None, final_tier=None)

    for tier in (ranked.campaign.best, ranked.campaign.excellent):  # old and new tier
        with pytest.raises(ProtectedError):
            tier.delete()


@pytest.mark.parametrize("record", ["override", "event"])
def test_a_user_who_acted_on_a_ranking_record_cannot_be_deleted(ranked, record):
    if record == "event":
        TierOverride.objects.all().delete()
    else:
        RoundEvent.objects.all().delete()

    with pytest.raises(ProtectedError):
        ranked.office.delete()


def test_an_expert_who_submitted_a_review_cannot_be_deleted(submitted):
    with pytest.raises(ProtectedError):
        submitted.expert.delete()
