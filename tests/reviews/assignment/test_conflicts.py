"""Conflicts of interest (issue 5): refused in hand assignment, declared by the expert,
recorded by the office; each releases the pair and says why.
"""

import re

import pytest
from django.urls import reverse

from common.exceptions import InvalidTransition
from reviews.assignment import proposal as auto_assign
from reviews.assignment import services as assignment_services
from reviews.assignment.conflicts import (
    case_organisations,
    conflict_reason,
    conflict_table,
    organisation_conflict,
)
from reviews.models import Assignment, AssignmentStatus, Conflict, ConflictSource
from tests.factories import (
    CityFactory,
    CountyFactory,
    OrganisationFactory,
    UserFactory,
    accepted_case_for_review,
    experts_without_profile,
    make_expert,
    make_open_round,
    reviewing_campaign,
    score_data,
)
from tests.helpers import message_text

# --- conflicts refused in hand assignment ------------------------------------------------------


def _same_organisation(campaign):
    county = CountyFactory()
    return county, accepted_case_for_review(campaign, county), "是该案例的申报或共同实施单位"


def _expert_at_the_case_city(campaign):
    city = CityFactory()
    county = CountyFactory(parent=city)
    return (
        city,
        accepted_case_for_review(campaign, county),
        f"案例单位“{county.name}”是专家所在单位的下级单位",
    )


def _expert_at_a_county_of_the_case_city(campaign):
    city = CityFactory()
    county = CountyFactory(parent=city)
    return (
        county,
        accepted_case_for_review(campaign, city),
        f"案例单位“{city.name}”是专家所在单位的上级单位",
    )


def _co_implementing(campaign):
    partner = CountyFactory()
    case = accepted_case_for_review(campaign, CountyFactory(), co=[partner])
    return partner, case, f"专家所在单位“{partner.name}”是该案例的申报或共同实施单位"


def _co_implementing_county_of_expert_city(campaign):
    city = CityFactory()
    partner = CountyFactory(parent=city)
    case = accepted_case_for_review(campaign, CountyFactory(), co=[partner])
    return city, case, f"案例单位“{partner.name}”是专家所在单位的下级单位"


def _declared(campaign):
    case = accepted_case_for_review(campaign)
    return None, case, "已登记回避:曾参与该案例的方案论证"


CONFLICTS = {
    "same organisation": _same_organisation,
    "expert at the case's city (parent)": _expert_at_the_case_city,
    "expert at a county of the case's city (child)": _expert_at_a_county_of_the_case_city,
    "co-implementing organisation": _co_implementing,
    "co-implementing county of the expert's city": _co_implementing_county_of_expert_city,
    "declared conflict": _declared,
    "recorded conflict": _declared,
}


@pytest.fixture
def conflicted(request, db):
    """(round, case, expert, reason) of a conflicted pair, by the parameter's name."""
    kind = request.param
    campaign = reviewing_campaign()
    affiliation, case, reason = CONFLICTS[kind](campaign)
    expert = make_expert(affiliation=affiliation)
    if kind == "declared conflict":
        Conflict.objects.create(
            expert=expert,
            case=case,
            source=ConflictSource.DECLARED,
            reason="曾参与该案例的方案论证",
            recorded_by=expert,
        )
    if kind == "recorded conflict":
        assignment_services.record_conflict(
            expert=expert,
            case=case,
            by=UserFactory(administrator=True),
            reason="曾参与该案例的方案论证",
        )
    round = make_open_round(campaign, cases=[case])
    return round, case, expert, reason


@pytest.mark.parametrize("conflicted", CONFLICTS, indirect=True)
def test_service_refuses_a_conflicted_pair(conflicted):
    round, case, expert, reason = conflicted
    with pytest.raises(InvalidTransition) as exc:
        assignment_services.assign_expert(review_round=round, case=case, expert=expert, by=None)
    assert exc.value.messages[0].startswith("不能分配:")
    assert reason in exc.value.messages[0]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("conflicted", CONFLICTS, indirect=True)
def test_assign_page_refuses_a_conflicted_pair(conflicted, office_client):
    round, case, expert, reason = conflicted
    url = reverse("manage:assign-add", kwargs={"pk": round.pk})

    response = office_client.post(url, {"case": case.pk, "expert": expert.pk}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(f"/manage/rounds/{round.pk}/assign/")
    assert "不能分配:" in message_text(response)
    assert reason in response.content.decode()
    assert not Assignment.objects.exists()
    # The page offers the pair as disabled, marked 回避.
    assert re.search(
        rf'<option value="{expert.pk}" disabled>[^<]*— 回避</option>', response.content.decode()
    )


def test_sibling_county_is_not_a_conflict(db):
    # Two counties of one city are neither above nor below each other.
    campaign = reviewing_campaign()
    city = CityFactory()
    case = accepted_case_for_review(campaign, CountyFactory(parent=city))
    expert = make_expert(affiliation=CountyFactory(parent=city))
    round = make_open_round(campaign, cases=[case])
    assignment = assignment_services.assign_expert(
        review_round=round, case=case, expert=expert, by=None
    )
    assert assignment.status == AssignmentStatus.PROPOSED


# --- hand and automatic assignment apply one rule ---------------------------------------------


def _on_the_board(round, case, expert):
    """(conflicted, eligible) of the pair on the automatic proposal's board."""
    board = auto_assign.build_board(round)
    i = [c.pk for c in board.cases].index(case.pk)
    j = [e.pk for e in board.experts].index(expert.pk)
    return bool(board.conflicted[i, j]), bool(board.eligible[i, j])


@pytest.mark.parametrize("conflicted", CONFLICTS, indirect=True)
def test_hand_and_automatic_assignment_agree_on_a_conflict(conflicted):
    round, case, expert, reason = conflicted
    admin = UserFactory(administrator=True)

    assert _on_the_board(round, case, expert) == (True, False)
    assert reason in conflict_reason(expert, case)
    assert conflict_table([expert], [case]) == {(expert.pk, case.pk): conflict_reason(expert, case)}
    with pytest.raises(InvalidTransition):
        assignment_services.assign_expert(review_round=round, case=case, expert=expert, by=admin)
    # The proposal (partial: the round has one expert) leaves the pair out too.
    auto_assign.propose_assignment(review_round=round, by=admin, accept_partial=True)
    assert not Assignment.objects.filter(case=case, expert=expert).exists()


def test_hand_and_automatic_assignment_agree_on_a_sibling_county(db):
    campaign = reviewing_campaign()
    city = CityFactory()
    case = accepted_case_for_review(campaign, CountyFactory(parent=city))
    expert = make_expert(affiliation=CountyFactory(parent=city))
    round = make_open_round(campaign, cases=[case])

    assert _on_the_board(round, case, expert) == (False, True)
    assert conflict_reason(expert, case) is None
    auto_assign.propose_assignment(
        review_round=round, by=UserFactory(administrator=True), accept_partial=True
    )
    assert Assignment.objects.filter(case=case, expert=expert).exists()


def test_conflict_table_asks_organisation_conflict_of_every_pair_it_needs(db):
    """The table's index skips pairs only where the rule itself finds nothing: over a tree of
    units (two cities and their counties, a unit without a parent) with co-implementing
    ones, it equals asking `organisation_conflict` of every pair."""
    campaign = reviewing_campaign()
    p, q = CityFactory(), CityFactory()
    a, b, c = CountyFactory(parent=p), CountyFactory(parent=p), CountyFactory(parent=q)
    loose = OrganisationFactory()
    units = [p, q, a, b, c, loose]
    cases = [accepted_case_for_review(campaign, unit) for unit in units]
    cases += [
        accepted_case_for_review(campaign, a, co=[b]),
        accepted_case_for_review(campaign, c, co=[p, loose]),
        accepted_case_for_review(campaign, loose, co=[q]),
    ]
    experts = [make_expert(affiliation=unit) for unit in units]
    experts += [make_expert(), *experts_without_profile(1)]  # outside the province, no profile

    by_rule = {}
    for expert in experts:
        profile = getattr(expert, "expert_profile", None)
        for case in cases:
            reason = organisation_conflict(
                profile.affiliation if profile else None, case_organisations(case)
            )
            if reason:
                by_rule[(expert.pk, case.pk)] = reason

    assert conflict_table(experts, cases) == by_rule
    # Worked by hand: experts of P 5 cases, Q 4, A 4, B 4, C 4, the loose unit 3, outside 0.
    assert len(by_rule) == 24


# --- declaring a conflict ------------------------------------------------------------------------


def test_declaring_a_conflict_releases_the_assignment(desk, office_client):
    conflict_url = reverse("reviews:conflict", kwargs={"pk": desk.assignment.pk})
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", ""]))  # a draft exists

    # Without a reason: refused, nothing released.
    response = desk.client.post(conflict_url, {"reason": "  "}, follow=True)
    assert "请说明回避理由。" in message_text(response)
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.CONFIRMED
    assert not Conflict.objects.exists()

    response = desk.client.post(conflict_url, {"reason": "本人曾为该县提供咨询服务"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:workspace")
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.RELEASED
    conflict = Conflict.objects.get()
    assert (conflict.expert, conflict.case, conflict.source) == (
        desk.expert,
        desk.case,
        ConflictSource.DECLARED,
    )
    assert conflict.reason == "本人曾为该县提供咨询服务"

    # The case has left the expert's list and its page.
    workspace = desk.client.get(reverse("reviews:workspace")).content.decode()
    assert desk.case.title not in workspace
    assert desk.client.get(desk.url).status_code == 404

    # Administrators see it for reassignment...
    progress = office_client.get(reverse("manage:progress", kwargs={"pk": desk.round.pk}))
    released = progress.content.decode().split("回避后待重新分配", 1)[1].split("</ul>", 1)[0]
    assert f"钱评审 · {desk.case.title}" in released
    assert f"/manage/rounds/{desk.round.pk}/assign/#case-{desk.case.pk}" in released
    # ...which refuses the same expert and takes another one.
    with pytest.raises(InvalidTransition, match="已登记回避:本人曾为该县提供咨询服务"):
        assignment_services.assign_expert(
            review_round=desk.round, case=desk.case, expert=desk.expert, by=None
        )
    other = make_expert()
    assert assignment_services.assign_expert(
        review_round=desk.round, case=desk.case, expert=other, by=None
    )


def test_a_submitted_review_cannot_be_declared_away(desk):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    with pytest.raises(InvalidTransition, match="评分已提交,不能再申报回避"):
        assignment_services.declare_conflict(
            assignment=desk.assignment, by=desk.expert, reason="后来发现"
        )
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.CONFIRMED


def test_recording_a_conflict_releases_the_pair(desk, office_client):
    url = reverse("manage:conflict-record", kwargs={"pk": desk.round.pk})
    response = office_client.post(
        url, {"case": desk.case.pk, "expert": desk.expert.pk, "reason": "配偶在申报单位工作"}
    )
    assert response.status_code == 302
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.RELEASED
    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.reason) == (ConflictSource.RECORDED, "配偶在申报单位工作")
    assert conflict.recorded_by == office_client.user
    assert desk.client.get(desk.url).status_code == 404
