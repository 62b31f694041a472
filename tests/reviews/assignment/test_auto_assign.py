"""Automatic assignment against the database (reviews/assignment/proposal.py, issue 6).

A round is built with the factories and the review builders: two panels by
field, experts whose organisations conflict with case organisations (same unit,
its parent, its child, a co-implementing unit), a declared conflict, outside
experts. Every guarantee is checked against the rules as conflicts.py states
them (`conflict_reason`), not against the solver's own matrix.
"""

from collections import Counter

import pytest
from django.urls import reverse

from accounts.models import Role
from common.exceptions import InvalidTransition
from notifications.models import Notification, NotificationKind
from reviews.assignment import proposal as auto_assign
from reviews.assignment import services as assignment_services
from reviews.assignment.conflicts import conflict_reason
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    ExpertProfile,
    Panel,
    ReviewStatus,
)
from tests.factories import (
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    accepted_case_for_review,
    bulk_cases,
    confirmed,
    experts_without_profile,
    make_expert,
    make_open_round,
    make_rubric,
    review_of,
    reviewing_campaign,
)
from tests.helpers import client_of, message_text, messages_of

ACTIVE = (AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED)


class Board:
    """The scene: names → objects."""


def _expert(name, *, affiliation=None, fields=(), max_cases=30):
    user = make_expert(affiliation=affiliation, name=name, max_cases=max_cases)
    user.expert_profile.fields.set(fields)
    return user


@pytest.fixture
def board(db):
    """Six cases (k = 2), two panels (甲组: field 1, 乙组: field 2), eight experts.

    City P has counties A and B. Conflicts by organisation:
      专家A (county A): case 0 (same unit), case 1 (P is A's parent);
      专家P (city P):   case 0 (A is P's child), case 1 (same), case 2 (co-implemented by B);
      专家B (county B): case 1 (P is B's parent), case 2 (co-implementing unit).
    Declared: 内专家一 × case 3.
    """
    b = Board()
    b.campaign = reviewing_campaign()
    b.criteria = make_rubric(b.campaign)
    b.f1, b.f2 = FieldFactory(name="营商环境(分配)"), FieldFactory(name="数字政府(分配)")
    b.P = CityFactory(name="分配测试市")
    b.A = CountyFactory(name="分配测试甲县", parent=b.P)
    b.B = CountyFactory(name="分配测试乙县", parent=b.P)
    orgs = [b.A, b.P, CountyFactory(), CountyFactory(), CountyFactory(), CountyFactory()]
    fields = [b.f1, b.f1, b.f2, b.f2, b.f1, b.f2]
    b.cases = [
        accepted_case_for_review(
            b.campaign,
            org,
            title=f"分配测试案例{i}",
            field=field,
            co=[b.B] if i == 2 else [],
        )
        for i, (org, field) in enumerate(zip(orgs, fields, strict=True))
    ]
    b.eA = _expert("专家A", affiliation=b.A, fields=[b.f1])
    b.eP = _expert("专家P", affiliation=b.P, fields=[b.f2])
    b.eB = _expert("专家B", affiliation=b.B, fields=[b.f1, b.f2])
    b.o1 = _expert("外专家一", fields=[b.f1])
    b.o2 = _expert("外专家二", fields=[b.f2])
    b.o3 = _expert("外专家三", fields=[b.f1, b.f2])
    b.i1 = _expert("内专家一", affiliation=CountyFactory(), fields=[b.f2])
    b.i2 = _expert("内专家二", affiliation=CountyFactory(), fields=[b.f1])
    b.experts = [b.eA, b.eP, b.eB, b.o1, b.o2, b.o3, b.i1, b.i2]
    b.panel1 = Panel.objects.create(campaign=b.campaign, name="甲组")
    b.panel1.fields.set([b.f1])
    b.panel1.members.set([b.eA, b.eB, b.o1, b.o3, b.i1, b.i2])
    b.panel2 = Panel.objects.create(campaign=b.campaign, name="乙组")
    b.panel2.fields.set([b.f2])
    b.panel2.members.set([b.eP, b.eB, b.o2, b.o3, b.i1, b.i2])
    b.admin = UserFactory(administrator=True, display_name="组织方")
    Conflict.objects.create(
        expert=b.i1, case=b.cases[3], source=ConflictSource.RECORDED, reason="曾参与该案例评估"
    )
    b.round = make_open_round(b.campaign, cases=b.cases, k=2, panels=[b.panel1, b.panel2])
    return b


def active(round):
    return list(
        Assignment.objects.filter(round=round, status__in=ACTIVE).select_related(
            "case", "expert__expert_profile__affiliation"
        )
    )


def loads(round, experts):
    counts = Counter(a.expert_id for a in active(round))
    return [counts.get(e.pk, 0) for e in experts]


def panel_of(b, case):
    return b.panel1 if case.field_id == b.f1.pk else b.panel2


def check_guarantees(b, k):
    """Every case has k active reviewers, from its field's panel, none conflicted, each expert
    within their maximum, each pair once, loads within one."""
    rows = active(b.round)
    per_case = Counter(a.case_id for a in rows)
    assert {c.pk: per_case.get(c.pk, 0) for c in b.cases} == {c.pk: k for c in b.cases}
    assert len({(a.case_id, a.expert_id) for a in rows}) == len(rows)
    for a in rows:
        assert conflict_reason(a.expert, a.case) is None, (a.expert, a.case)
        assert panel_of(b, a.case).members.filter(pk=a.expert_id).exists(), (a.expert, a.case)
    for expert, load in zip(b.experts, loads(b.round, b.experts), strict=True):
        assert load <= expert.expert_profile.max_cases_per_round
    spread = loads(b.round, b.experts)
    assert max(spread) - min(spread) <= 1, spread


# --- the proposal ----------------------------------------------------------------------------


def test_proposal_gives_every_case_k_conflict_free_reviewers_with_even_loads(board):
    proposal = auto_assign.propose_assignment(review_round=board.round, by=board.admin)

    assert proposal.applied and not proposal.problems
    assert proposal.created == proposal.needed == 12
    assert proposal.kept == 0
    check_guarantees(board, 2)
    assert {a.status for a in active(board.round)} == {AssignmentStatus.PROPOSED}
    assert (proposal.min_load, proposal.max_load) == (1, 2)
    # Panel-eligible pairs ruled out by a conflict: 专家A ×2 (cases 0, 1 in 甲组),
    # 专家P ×1 (case 2 in 乙组; cases 0, 1 are 甲组's), 专家B ×2 (cases 1, 2), 内专家一 × case 3.
    assert proposal.conflicts_avoided == 6
    # The conflicted experts were kept away from the cases they conflict with.
    pairs = {(a.case_id, a.expert_id) for a in active(board.round)}
    c = board.cases
    for case, expert in [(c[0], board.eA), (c[1], board.eA), (c[1], board.eB), (c[2], board.eB),
                         (c[2], board.eP), (c[3], board.i1)]:  # fmt: skip
        assert (case.pk, expert.pk) not in pairs
    # Nobody is told anything before confirmation.
    assert not Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED).exists()


def test_every_case_gets_an_outside_expert_when_there_are_enough(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    outside = {board.o1.pk, board.o2.pk, board.o3.pk}
    for case in board.cases:
        experts = {a.expert_id for a in active(board.round) if a.case_id == case.pk}
        assert experts & outside, case.title


def test_matching_expertise_is_preferred(db):
    # Two cases of two fields, two experts each knowing one; everyone may review everything.
    campaign = reviewing_campaign()
    f1, f2 = FieldFactory(), FieldFactory()
    c1 = accepted_case_for_review(campaign, field=f1, title="领域一案例")
    c2 = accepted_case_for_review(campaign, field=f2, title="领域二案例")
    e1 = _expert("懂领域一", affiliation=CountyFactory(), fields=[f1])
    e2 = _expert("懂领域二", affiliation=CountyFactory(), fields=[f2])
    round = make_open_round(campaign, cases=[c1, c2], k=1)
    admin = UserFactory(administrator=True)
    auto_assign.propose_assignment(review_round=round, by=admin)
    got = {(a.case_id, a.expert_id) for a in active(round)}
    assert got == {(c1.pk, e1.pk), (c2.pk, e2.pk)}


def test_rerunning_replaces_proposals_and_keeps_confirmed_and_started_ones(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    # Running again replaces unconfirmed proposals: still exactly k per case.
    again = auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assert again.created == 12 and again.kept == 0
    check_guarantees(board, 2)

    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    confirmed = {
        a.pk: (a.case_id, a.expert_id)
        for a in Assignment.objects.filter(round=board.round, status=AssignmentStatus.CONFIRMED)
    }
    assert len(confirmed) == 12
    # One expert has started (a draft); one confirmed assignment is removed by hand.
    started = Assignment.objects.filter(round=board.round).order_by("pk").first()
    review_of(started, board.criteria, ["20", "15", "10"], submit=False)
    removed = Assignment.objects.filter(round=board.round).order_by("-pk").first()
    assignment_services.remove_assignment(assignment=removed, by=board.admin)
    # Two more cases join the round.
    extra = [
        accepted_case_for_review(board.campaign, title=f"追加案例{i}", field=f)
        for i, f in enumerate([board.f1, board.f2])
    ]
    board.round.cases.add(*extra)
    board.cases += extra

    proposal = auto_assign.propose_assignment(review_round=board.round, by=board.admin)

    assert proposal.applied and not proposal.problems
    assert proposal.kept == 11
    assert proposal.created == 1 + 2 * 2
    after = {
        a.pk: (a.case_id, a.expert_id)
        for a in Assignment.objects.filter(round=board.round, status=AssignmentStatus.CONFIRMED)
    }
    del confirmed[removed.pk]
    assert after == confirmed  # every confirmed assignment kept, untouched
    assert Assignment.objects.get(pk=started.pk).review.status == ReviewStatus.DRAFT
    assert (
        Assignment.objects.filter(round=board.round, status=AssignmentStatus.PROPOSED).count() == 5
    )
    check_guarantees(board, 2)


def test_rerunning_counts_confirmed_reviewers_who_left_the_panels(board):
    """A confirmed assignment is kept; it must also count towards its case's k, even when its
    expert has since left the round's panels (or been deactivated). Otherwise re-running gives
    that case k more reviewers."""
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    case = board.cases[4]
    leaving = Assignment.objects.filter(round=board.round, case=case).first().expert
    board.panel1.members.remove(leaving)
    board.panel2.members.remove(leaving)

    proposal = auto_assign.propose_assignment(review_round=board.round, by=board.admin)

    assert proposal.kept == 12
    per_case = Counter(a.case_id for a in active(board.round))
    assert per_case[case.pk] == 2, "case 4 got a third reviewer on top of its two confirmed ones"
    assert proposal.created == 0


# --- infeasible rounds ----------------------------------------------------------------------


def snapshot(round):
    return sorted(
        Assignment.objects.filter(round=round).values_list("pk", "case_id", "expert_id", "status")
    )


def test_too_few_conflict_free_experts_names_the_case_and_changes_nothing(board):
    # A hand-made proposal exists already; an impossible k must leave it alone.
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[4], expert=board.i2, by=board.admin
    )
    board.round.reviewers_per_case = 5
    board.round.save(update_fields=["reviewers_per_case"])
    before = snapshot(board.round)

    proposal = auto_assign.propose_assignment(review_round=board.round, by=board.admin)

    assert not proposal.applied
    assert proposal.created == 0
    assert snapshot(board.round) == before
    # 甲组 has six members; case 1 (of city P) conflicts with 专家A and 专家B: four remain.
    assert (
        "案例“分配测试案例1”仅有 4 名无回避关系且有余量的可选专家,还需 5 名(每案 5 名)。"
        in proposal.problems
    )
    # Case 2 (乙组, co-implemented by county B) loses 专家P and 专家B: four remain.
    assert (
        "案例“分配测试案例2”仅有 4 名无回避关系且有余量的可选专家,还需 5 名(每案 5 名)。"
        in proposal.problems
    )
    # Case 4 (six candidates; its hand-made proposal does not count, proposals are recomputed)
    # and case 0 (five candidates) are not named.
    assert not any("分配测试案例4" in p or "分配测试案例0" in p for p in proposal.problems)


def test_panel_capacity_shortfall_names_the_panel_and_changes_nothing(board):
    # Every expert may take one case: each panel's six members offer 6 places, its three cases
    # need 3 × 3 = 9; the eight experts together offer 8 of the 18 places needed.
    for expert in board.experts:
        expert.expert_profile.max_cases_per_round = 1
        expert.expert_profile.save(update_fields=["max_cases_per_round"])
    board.round.reviewers_per_case = 3
    board.round.save(update_fields=["reviewers_per_case"])

    proposal = auto_assign.propose_assignment(review_round=board.round, by=board.admin)

    assert not proposal.applied
    assert not Assignment.objects.filter(round=board.round).exists()
    assert "评审组“甲组”的专家评审余量合计 6 件,少于所需的 9 件。" in proposal.problems
    assert "评审组“乙组”的专家评审余量合计 6 件,少于所需的 9 件。" in proposal.problems
    assert "全部专家的评审余量合计 8 件,少于所需的 18 件。" in proposal.problems


def test_partial_assignment_is_applied_only_when_accepted(board):
    board.round.reviewers_per_case = 5
    board.round.save(update_fields=["reviewers_per_case"])

    refused = auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assert not refused.applied
    assert not Assignment.objects.filter(round=board.round).exists()

    partial = auto_assign.propose_assignment(
        review_round=board.round, by=board.admin, accept_partial=True
    )
    assert partial.applied
    assert partial.problems  # still told why it is incomplete
    rows = active(board.round)
    assert partial.created == len(rows) < partial.needed == 30
    per_case = Counter(a.case_id for a in rows)
    # Cases 1 and 2 get their four conflict-free candidates; nobody is ever conflicted.
    assert per_case[board.cases[1].pk] == 4
    assert per_case[board.cases[2].pk] == 4
    assert all(n <= 5 for n in per_case.values())
    for a in rows:
        assert conflict_reason(a.expert, a.case) is None


# --- confirmation, swaps, gaps ----------------------------------------------------------------


def test_confirming_notifies_each_expert_once(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    experts = {a.expert_id for a in active(board.round)}

    n = assignment_services.confirm_assignments(review_round=board.round, by=board.admin)

    assert n == 12
    notes = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert notes.count() == len(experts)
    assert Counter(notes.values_list("recipient_id", flat=True)) == dict.fromkeys(experts, 1)
    # Each notification lists every case of that expert.
    for note in notes.select_related("recipient"):
        for a in active(board.round):
            if a.expert_id == note.recipient_id:
                assert a.case.title in note.body
    # Confirming again confirms and notifies nothing.
    assert assignment_services.confirm_assignments(review_round=board.round, by=board.admin) == 0
    assert notes.count() == len(experts)


def test_swap_refuses_a_conflicted_expert_with_the_reason(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment = Assignment.objects.filter(round=board.round, case=board.cases[0]).first()
    before = snapshot(board.round)

    with pytest.raises(InvalidTransition) as refused:
        assignment_services.swap_assignment(assignment=assignment, expert=board.eA, by=board.admin)
    assert refused.value.messages == [
        "不能分配:专家所在单位“分配测试甲县”是该案例的申报或共同实施单位。"
    ]
    with pytest.raises(InvalidTransition) as refused:
        assignment_services.swap_assignment(assignment=assignment, expert=board.eP, by=board.admin)
    assert refused.value.messages == ["不能分配:案例单位“分配测试甲县”是专家所在单位的下级单位。"]
    other = Assignment.objects.filter(round=board.round, case=board.cases[3]).first()
    with pytest.raises(InvalidTransition) as refused:
        assignment_services.swap_assignment(assignment=other, expert=board.i1, by=board.admin)
    assert refused.value.messages == ["不能分配:已登记回避:曾参与该案例评估"]
    assert snapshot(board.round) == before  # the refused swaps deleted nothing


def test_swap_to_an_eligible_expert_and_confirmed_swap_notifies(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    case = board.cases[4]  # 甲组: everyone of 甲组 may review it
    current = {a.expert_id for a in active(board.round) if a.case_id == case.pk}
    free = next(
        e for e in [board.eA, board.eB, board.o1, board.o3, board.i2] if e.pk not in current
    )
    assignment = Assignment.objects.filter(round=board.round, case=case).first()

    new = assignment_services.swap_assignment(assignment=assignment, expert=free, by=board.admin)
    assert new.status == AssignmentStatus.PROPOSED and new.expert == free
    assert not Assignment.objects.filter(pk=assignment.pk).exists()

    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    notes = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    before = notes.count()
    current = {a.expert_id for a in active(board.round) if a.case_id == case.pk}
    replacement = next(
        e for e in [board.eA, board.eB, board.o1, board.o3, board.i2] if e.pk not in current
    )
    confirmed = assignment_services.swap_assignment(
        assignment=Assignment.objects.get(pk=new.pk), expert=replacement, by=board.admin
    )
    assert confirmed.status == AssignmentStatus.CONFIRMED
    assert notes.count() == before + 1
    assert notes.order_by("-pk").first().recipient_id == replacement.pk


def test_fill_gap_after_a_declared_conflict_confirms_the_best_eligible_expert(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    case = board.cases[4]
    assignment = Assignment.objects.filter(round=board.round, case=case).first()
    declarer = assignment.expert
    assignment_services.declare_conflict(
        assignment=assignment, by=declarer, reason="与申报单位有合作项目"
    )
    notes = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    before = notes.count()

    filled = auto_assign.fill_gap(review_round=board.round, case=case, by=board.admin)

    assert filled.status == AssignmentStatus.CONFIRMED
    assert filled.confirmed_at is not None and filled.notified_at is not None
    assert filled.expert != declarer
    assert conflict_reason(filled.expert, case) is None
    rows = active(board.round)
    assert sorted(a.expert_id for a in rows if a.case_id == case.pk) == sorted(
        {a.expert_id for a in rows if a.case_id == case.pk}
    )
    assert Counter(a.case_id for a in rows)[case.pk] == 2
    # The best candidate by the solver's costs: least loaded first, then an outside expert when
    # the case has none, then matching expertise.
    taken = {a.expert_id for a in rows if a.case_id == case.pk and a.pk != filled.pk}
    has_outside = any(
        not a.expert.expert_profile.inside_province
        for a in rows
        if a.case_id == case.pk and a.pk != filled.pk
    )
    load = Counter(
        a.expert_id for a in rows if a.status == AssignmentStatus.CONFIRMED and a.pk != filled.pk
    )

    def cost(expert):
        profile = expert.expert_profile
        return (
            load.get(expert.pk, 0),
            (not has_outside) and profile.inside_province,
            case.field_id not in set(profile.fields.values_list("pk", flat=True)),
        )

    candidates = [
        e
        for e in board.panel1.members.all()
        if e.pk not in taken and e.pk != declarer.pk and conflict_reason(e, case) is None
    ]
    assert cost(filled.expert) == min(cost(e) for e in candidates)
    # Told once, about this case.
    assert notes.count() == before + 1
    note = notes.order_by("-pk").first()
    assert note.recipient_id == filled.expert_id and case.title in note.body
    # Full again: a second click is refused.
    with pytest.raises(InvalidTransition) as refused:
        auto_assign.fill_gap(review_round=board.round, case=case, by=board.admin)
    assert refused.value.messages == ["该案例的评审专家已满。"]


def test_fill_gap_without_candidates_says_so(board):
    # Case 1 (of city P, 甲组) has four conflict-free candidates: 外专家一, 外专家三, 内专家一,
    # 内专家二. With k = 4 it takes all of them; once one declares a conflict nobody is left.
    board.round.reviewers_per_case = 4
    board.round.save(update_fields=["reviewers_per_case"])
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    case = board.cases[1]
    assignment = Assignment.objects.filter(round=board.round, case=case).first()
    assignment_services.declare_conflict(
        assignment=assignment, by=assignment.expert, reason="亲属在该单位"
    )
    with pytest.raises(InvalidTransition) as refused:
        auto_assign.fill_gap(review_round=board.round, case=case, by=board.admin)
    assert refused.value.messages == ["没有无回避关系且有余量的专家可以补上。"]


# --- hand and automatic assignment count capacity alike --------------------------------------


@pytest.mark.parametrize("max_cases", [None, 2], ids=["without a profile", "profile maximum 2"])
def test_hand_and_automatic_assignment_agree_on_capacity(db, max_cases):
    limit = ExpertProfile.DEFAULT_MAX_CASES if max_cases is None else max_cases
    campaign = reviewing_campaign()
    cases = bulk_cases(campaign, limit + 1, prefix="容量测试案例")
    if max_cases is None:
        expert = experts_without_profile(1)[0]
    else:
        expert = make_expert(max_cases=max_cases)
    round = make_open_round(campaign, cases=cases, k=1)
    admin = UserFactory(administrator=True)

    assert assignment_services.expert_capacity(expert) == limit
    assert auto_assign.build_board(round).capacity.tolist() == [limit]
    # By hand: up to the limit, and one more is refused.
    for case in cases[:limit]:
        assignment_services.assign_expert(review_round=round, case=case, expert=expert, by=admin)
    with pytest.raises(InvalidTransition) as refused:
        assignment_services.assign_expert(
            review_round=round, case=cases[limit], expert=expert, by=admin
        )
    assert "达到其评审上限" in refused.value.messages[0]
    # Confirmed, the same cases leave the automatic proposal no room for the expert either.
    assignment_services.confirm_assignments(review_round=round, by=admin)
    assert auto_assign.build_board(round).capacity.tolist() == [0]
    proposal = auto_assign.propose_assignment(review_round=round, by=admin, accept_partial=True)
    assert proposal.created == 0


def test_fill_gap_counts_proposed_assignments_towards_capacity(db):
    campaign = reviewing_campaign()
    first, second, short = (
        accepted_case_for_review(campaign, title=f"补位容量案例{i}") for i in range(3)
    )
    round = make_open_round(campaign, cases=[first, second, short], k=1)
    admin = UserFactory(administrator=True)
    full = make_expert(name="已满专家", max_cases=1)
    roomy = make_expert(name="有余量专家", max_cases=5)
    confirmed(round, first, roomy)  # by confirmed load alone, 已满专家 (0) would come first
    assignment_services.assign_expert(review_round=round, case=second, expert=full, by=admin)
    # The proposed, unconfirmed case fills 已满专家: hand assignment refuses one more …
    with pytest.raises(InvalidTransition) as refused:
        assignment_services.assign_expert(review_round=round, case=short, expert=full, by=admin)
    assert "达到其评审上限" in refused.value.messages[0]

    filled = auto_assign.fill_gap(review_round=round, case=short, by=admin)

    # … and so does gap filling.
    assert filled.expert == roomy
    assert Assignment.objects.filter(expert=full).count() == 1


# --- views ------------------------------------------------------------------------------------


def url(name, board, **kwargs):
    return reverse(f"manage:{name}", kwargs={"pk": board.round.pk, **kwargs})


def test_auto_view_proposes_and_reports(board):
    client = client_of(board.admin)
    response = client.post(url("assign-auto", board))
    assert response.status_code == 302
    assert response["Location"] == url("assign", board)
    text = message_text(response)
    assert "已生成分配方案:新增 12 项(保留已确认 0 项),避开 6 对回避关系,专家负荷 1–2 件。" in text
    check_guarantees(board, 2)
    page = client.get(url("assign", board)).content.decode()
    assert "确认 12 项分配并通知专家" in page


def test_auto_view_reports_why_and_assigns_nothing_then_partial_when_ticked(board):
    board.round.reviewers_per_case = 5
    board.round.save(update_fields=["reviewers_per_case"])
    client = client_of(board.admin)

    response = client.post(url("assign-auto", board))
    levels = {text: level for level, text in messages_of(response)}
    assert (
        levels["案例“分配测试案例1”仅有 4 名无回避关系且有余量的可选专家,还需 5 名(每案 5 名)。"]
        == "error"
    )
    assert "没有完整的分配方案,未做任何分配。" in message_text(response)
    assert not Assignment.objects.filter(round=board.round).exists()

    response = client.post(url("assign-auto", board), {"accept_partial": "on"})
    assert "已生成分配方案" in message_text(response)
    assert Assignment.objects.filter(round=board.round).exists()


def test_swap_view_swaps_and_refuses_conflicts_with_the_reason(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    client = client_of(board.admin)
    assignment = Assignment.objects.filter(round=board.round, case=board.cases[0]).first()

    response = client.post(
        url("assign-swap", board, assignment_pk=assignment.pk), {"expert": board.eA.pk}
    )
    assert response.status_code == 302
    assert "不能分配:专家所在单位“分配测试甲县”是该案例的申报或共同实施单位。" in message_text(
        response
    )
    assert Assignment.objects.filter(pk=assignment.pk).exists()

    current = {a.expert_id for a in active(board.round) if a.case_id == board.cases[0].pk}
    free = next(e for e in [board.o1, board.o3, board.i2, board.eB] if e.pk not in current)
    response = client.post(
        url("assign-swap", board, assignment_pk=assignment.pk), {"expert": free.pk}
    )
    assert response["Location"].endswith(f"/assign/case/{board.cases[0].pk}/")
    assert f"已换为 {free}。" in message_text(response)
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert Assignment.objects.filter(round=board.round, case=board.cases[0], expert=free).exists()

    response = client.post(url("assign-swap", board, assignment_pk=assignment.pk + 10_000))
    assert response.status_code == 404


def test_fill_gap_view_fills_and_reports(board):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    case = board.cases[5]
    assignment = Assignment.objects.filter(round=board.round, case=case).first()
    assignment_services.declare_conflict(
        assignment=assignment, by=assignment.expert, reason="合作关系"
    )
    client = client_of(board.admin)
    progress = client.get(url("progress", board)).content.decode()
    assert "一键补位" in progress
    before = set(Assignment.objects.values_list("pk", flat=True))

    response = client.post(url("assign-fill-gap", board), {"case": case.pk})

    assert response["Location"] == url("progress", board)
    filled = Assignment.objects.exclude(pk__in=before).get()
    assert (filled.case, filled.status) == (case, AssignmentStatus.CONFIRMED)
    assert f"已由 {filled.expert} 补上“{case.title}”,并已通知。" in message_text(response)
    # Clicking again: the case is full.
    response = client.post(url("assign-fill-gap", board), {"case": case.pk})
    assert "该案例的评审专家已满。" in message_text(response)
    assert client.post(url("assign-fill-gap", board), {"case": "x"}).status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "locality", "expert"])
@pytest.mark.parametrize("name", ["assign-auto", "assign-fill-gap", "assign-swap"])
def test_assignment_views_are_for_administrators_only(board, client_for, role, name):
    auto_assign.propose_assignment(review_round=board.round, by=board.admin)
    assignment_services.confirm_assignments(review_round=board.round, by=board.admin)
    assignment = Assignment.objects.filter(round=board.round, case=board.cases[4]).first()
    assignment_services.declare_conflict(
        assignment=assignment, by=assignment.expert, reason="合作关系"
    )
    before = snapshot(board.round)
    notes = Notification.objects.count()
    kwargs = {"assignment_pk": assignment.pk} if name == "assign-swap" else {}
    data = {"case": board.cases[4].pk, "expert": board.o3.pk, "accept_partial": "on"}

    client = client_for(role)
    response = client.post(url(name, board, **kwargs), data)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
    assert snapshot(board.round) == before
    assert Notification.objects.count() == notes


def test_assignment_views_refuse_get(board):
    client = client_of(board.admin)
    assert client.get(url("assign-auto", board)).status_code == 405
    assert client.get(url("assign-fill-gap", board)).status_code == 405


def test_expert_of_the_round_cannot_run_the_assignment(board):
    client = client_of(board.o1)
    assert board.o1.role == Role.EXPERT
    assert client.post(url("assign-auto", board)).status_code == 403
    assert not Assignment.objects.filter(round=board.round).exists()
