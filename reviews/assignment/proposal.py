"""Automatic, conflict-free assignment for a round: builds the instance from the database,
explains infeasibility, writes a proposal the administrator adjusts and confirms.

Expertise is the text similarity of the expert's and the case's stored vectors when there are
some, else the field match (reviews/assignment/matching.py); each proposed pair keeps its
匹配度 and the words behind it, so that the board only reads them.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from case_text.core.vectors import current_model, shared_terms
from case_text.models import CaseVector
from common.exceptions import InvalidTransition
from reviews.assignment import matching
from reviews.assignment.conflicts import conflict_table
from reviews.assignment.services import (
    expert_capacity,
    expert_load,
    notify_assigned,
    require_assignments_open,
    round_experts,
)
from reviews.assignment.solver import Instance, solve
from reviews.models import Assignment, AssignmentStatus, ExpertVector, Review, ReviewRound

MAX_MESSAGES = 20


@dataclass
class Proposal:
    created: int = 0
    kept: int = 0
    needed: int = 0
    conflicts_avoided: int = 0
    problems: list[str] = field(default_factory=list)
    applied: bool = False
    min_load: int = 0
    max_load: int = 0


@dataclass
class Board:
    """Everything the solver needs, indexed: cases 0..C-1, experts 0..E-1."""

    cases: list
    experts: list
    eligible: np.ndarray  # C × E: covered by a panel and free of conflicts
    conflicted: np.ndarray  # C × E
    mismatch: np.ndarray  # C × E: the expert's fields do not include the case's
    kept: list
    need: np.ndarray
    capacity: np.ndarray
    load: np.ndarray
    outside: np.ndarray
    want_outside: np.ndarray
    panels: list
    text: "TextMatch"
    expertise: np.ndarray = None  # C × E: the solver's expertise cost (matching.py)

    def __post_init__(self):
        self.expertise = matching.expertise_cost(
            self.text.similarity, self.text.case_has, self.text.expert_has, self.mismatch
        )

    def match(self, i: int, j: int) -> tuple[int | None, list[str]]:
        """匹配度 (percent) and the shared words of case i and expert j; None without vectors."""
        text = self.text
        if not (text.case_has[i] and text.expert_has[j]):
            return None, []
        words = shared_terms(text.cases[i], text.experts[j], text.model, k=matching.MATCH_TERMS)
        return matching.match_percent(text.similarity[i, j]), words


@dataclass
class TextMatch:
    """The stored vectors of a round's cases and experts under the current text model."""

    model: object  # case_text's FittedModel, or None before the first fit
    cases: list  # SparseVector or None, by case index
    experts: list  # SparseVector or None, by expert index
    similarity: np.ndarray  # C × E cosine, 0 where a vector is missing
    case_has: np.ndarray
    expert_has: np.ndarray


def text_match(review_round: ReviewRound, cases: list, experts: list) -> TextMatch:
    """Three queries whatever the round's size: the current model, the cases' vectors, the
    experts'. Vectors are read, never computed here."""
    n_c, n_e = len(cases), len(experts)
    model = current_model()
    if model is None:  # no fit yet: the field match decides (matching.expertise_cost)
        no_case, no_expert = np.zeros(n_c, dtype=bool), np.zeros(n_e, dtype=bool)
        return TextMatch(None, [None] * n_c, [None] * n_e, np.zeros((n_c, n_e)), no_case, no_expert)
    c_index = {c.pk: i for i, c in enumerate(cases)}
    e_index = {e.pk: j for j, e in enumerate(experts)}
    case_vecs, expert_vecs = [None] * n_c, [None] * n_e
    for row in CaseVector.objects.filter(
        model_id=model.version, case_id__in=review_round.cases.values("pk")
    ).only("case_id", "indices", "weights"):
        if row.case_id in c_index:
            case_vecs[c_index[row.case_id]] = row.as_vector()
    for row in ExpertVector.objects.filter(model_id=model.version, user_id__in=list(e_index)).only(
        "user_id", "indices", "weights"
    ):
        expert_vecs[e_index[row.user_id]] = row.as_vector()
    case_has = np.array([v is not None and len(v) > 0 for v in case_vecs], dtype=bool)
    expert_has = np.array([v is not None and len(v) > 0 for v in expert_vecs], dtype=bool)
    n_terms = len(model.terms)
    sim = matching.similarity(
        matching.stack(case_vecs, n_terms), matching.stack(expert_vecs, n_terms)
    )
    return TextMatch(model, case_vecs, expert_vecs, sim, case_has, expert_has)


def build_board(review_round: ReviewRound) -> Board:
    cases = list(
        review_round.cases.select_related("organisation", "field")
        .prefetch_related("co_organisations")
        .order_by("pk")
    )
    experts = list(round_experts(review_round).prefetch_related("expert_profile__fields"))
    c_index = {c.pk: i for i, c in enumerate(cases)}
    e_index = {e.pk: j for j, e in enumerate(experts)}
    n_c, n_e = len(cases), len(experts)

    # Panel coverage: experts of the panels covering the case's field, or of all panels when none does.
    panels = list(review_round.panels.prefetch_related("fields", "members"))
    everyone = np.ones(n_e, dtype=bool)
    by_field = defaultdict(lambda: np.zeros(n_e, dtype=bool))
    for panel in panels:
        members = np.zeros(n_e, dtype=bool)
        members[[e_index[m.pk] for m in panel.members.all() if m.pk in e_index]] = True
        for f in panel.fields.all():
            by_field[f.pk] |= members
    eligible = np.zeros((n_c, n_e), dtype=bool)
    for i, case in enumerate(cases):
        covered = by_field.get(case.field_id)
        eligible[i] = covered if covered is not None and covered.any() else everyone

    # Conflicts: by the rule hand assignment applies (conflicts.conflict_table), not a copy of it.
    conflicted = np.zeros((n_c, n_e), dtype=bool)
    for expert_id, case_id in conflict_table(experts, cases):
        conflicted[c_index[case_id], e_index[expert_id]] = True

    # Expertise and the outside-province mix.
    case_field = np.array([c.field_id or -1 for c in cases], dtype=np.int64)
    mismatch = np.ones((n_c, n_e), dtype=bool)
    outside = np.zeros(n_e, dtype=bool)
    capacity = np.zeros(n_e, dtype=np.int64)
    for j, expert in enumerate(experts):
        capacity[j] = expert_capacity(expert)  # the same as hand assignment's
        profile = getattr(expert, "expert_profile", None)
        if profile is None:
            continue
        outside[j] = not profile.inside_province
        for f in profile.fields.all():
            mismatch[case_field == f.pk, j] = False

    # Kept: confirmed assignments stay; proposals are recomputed.
    kept = list(
        Assignment.objects.filter(
            round=review_round, status=AssignmentStatus.CONFIRMED
        ).values_list("case_id", "expert_id", "expert__expert_profile__inside_province")
    )
    load = np.zeros(n_e, dtype=np.int64)
    have = np.zeros(n_c, dtype=np.int64)
    want_outside = np.ones(n_c, dtype=bool)
    for case_id, expert_id, inside in kept:
        if expert_id in e_index:
            load[e_index[expert_id]] += 1
        if case_id not in c_index:
            continue
        # A confirmed reviewer counts towards k even if they have since left the panels.
        i = c_index[case_id]
        have[i] += 1
        if inside is False:
            want_outside[i] = False
        if expert_id in e_index:
            eligible[i, e_index[expert_id]] = False
    # A released pair (declared conflict) has a Conflict row; never offer it again.
    need = np.maximum(review_round.reviewers_per_case - have, 0)
    capacity = np.maximum(capacity - load, 0)
    return Board(cases, experts, eligible & ~conflicted, conflicted & eligible, mismatch, kept, need, capacity,
                 load, outside, want_outside, panels, text_match(review_round, cases, experts))  # fmt: skip


def explain(board: Board, k: int) -> list[str]:
    """Why no complete assignment exists, as precisely as simple counting can tell."""
    problems = []
    usable = board.eligible & (board.capacity > 0)[None, :]
    available = usable.sum(axis=1)
    for i in np.flatnonzero(available < board.need)[:MAX_MESSAGES]:
        problems.append(
            _(
                "案例“%(case)s”仅有 %(n)d 名无回避关系且有余量的可选专家,还需 %(need)d 名(每案 %(k)d 名)。"
            )
            % {"case": board.cases[i].title, "n": available[i], "need": board.need[i], "k": k}
        )
    short = int((available < board.need).sum())
    if short > MAX_MESSAGES:
        problems.append(_("另有 %(n)d 个案例可选专家不足。") % {"n": short - MAX_MESSAGES})
    index = {e.pk: j for j, e in enumerate(board.experts)}
    for panel in board.panels:
        members = [index[m.pk] for m in panel.members.all() if m.pk in index]
        fields = {f.pk for f in panel.fields.all()}
        demand = int(sum(board.need[i] for i, c in enumerate(board.cases) if c.field_id in fields))
        supply = int(board.capacity[members].sum()) if members else 0
        if fields and demand > supply:
            problems.append(
                _("评审组“%(panel)s”的专家评审余量合计 %(supply)d 件,少于所需的 %(demand)d 件。")
                % {"panel": panel.name, "supply": supply, "demand": demand}
            )
    total_need, total_capacity = int(board.need.sum()), int(board.capacity.sum())
    if total_capacity < total_need:
        problems.append(
            _("全部专家的评审余量合计 %(supply)d 件,少于所需的 %(demand)d 件。")
            % {"supply": total_capacity, "demand": total_need}
        )
    return problems


def instance_of(board: Board) -> Instance:
    pair_case, pair_expert = np.nonzero(board.eligible & (board.capacity > 0)[None, :])
    return Instance(
        need=board.need,
        capacity=board.capacity,
        load=board.load,
        outside=board.outside,
        want_outside=board.want_outside,
        pair_case=pair_case.astype(np.int64),
        pair_expert=pair_expert.astype(np.int64),
        pair_mismatch=board.expertise[pair_case, pair_expert].astype(np.int64),
    )


@transaction.atomic
def propose_assignment(*, review_round: ReviewRound, by, accept_partial: bool = False) -> Proposal:
    """Replace the round's unconfirmed proposals by an optimal one; nothing changes when it is incomplete
    unless the administrator accepts a partial assignment."""
    review_round = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=review_round.pk)
    )
    require_assignments_open(review_round.campaign, by)
    board = build_board(review_round)
    proposal = Proposal(
        kept=len(board.kept),
        needed=int(board.need.sum()),
        conflicts_avoided=int(board.conflicted.sum()),
    )
    solution = solve(instance_of(board))
    if not solution.complete:
        proposal.problems = explain(board, review_round.reviewers_per_case) or [
            _("只能为 %(got)d / %(need)d 个评审名额找到无回避关系的专家。")
            % {"got": solution.assigned, "need": solution.needed}
        ]
        if not accept_partial:
            return proposal
    started = Review.objects.filter(assignment__round=review_round).values("assignment_id")
    Assignment.objects.filter(round=review_round, status=AssignmentStatus.PROPOSED).exclude(
        pk__in=started
    ).delete()
    taken = set(Assignment.objects.filter(round=review_round).values_list("case_id", "expert_id"))
    rows = []
    for i, j in zip(solution.pair_case.tolist(), solution.pair_expert.tolist(), strict=True):
        key = (board.cases[i].pk, board.experts[j].pk)
        if key not in taken:
            percent, words = board.match(i, j)
            rows.append(
                Assignment(
                    round=review_round,
                    case_id=key[0],
                    expert_id=key[1],
                    created_by=by,
                    match_percent=percent,
                    match_terms=words,
                )
            )
    # A released row for the same pair cannot exist (its conflict excludes the pair), so plain inserts suffice.
    Assignment.objects.bulk_create(rows, batch_size=2000)
    loads = board.load + np.bincount(solution.pair_expert, minlength=len(board.experts))
    proposal.created = len(rows)
    proposal.applied = True
    proposal.min_load = int(loads.min()) if loads.size else 0
    proposal.max_load = int(loads.max()) if loads.size else 0
    return proposal


@transaction.atomic
def fill_gap(*, review_round: ReviewRound, case, by) -> Assignment:
    """After a declared conflict: the best eligible expert by the same costs, confirmed and told."""
    review_round = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=review_round.pk)
    )
    require_assignments_open(review_round.campaign, by)
    board = build_board(review_round)
    try:
        i = next(n for n, c in enumerate(board.cases) if c.pk == case.pk)
    except StopIteration:
        raise InvalidTransition(_("该案例不在本轮评审范围内。")) from None
    active = set(
        Assignment.objects.filter(
            round=review_round,
            case=case,
            status__in=(AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED),
        ).values_list("expert_id", flat=True)
    )
    if len(active) >= review_round.reviewers_per_case:
        raise InvalidTransition(_("该案例的评审专家已满。"))
    # Capacity as hand assignment counts it: proposed and confirmed assignments alike.
    loads = expert_load(review_round)
    candidates = [
        j
        for j in np.flatnonzero(board.eligible[i])
        if board.experts[j].pk not in active
        and loads.get(board.experts[j].pk, 0) < expert_capacity(board.experts[j])
    ]
    if not candidates:
        raise InvalidTransition(_("没有无回避关系且有余量的专家可以补上。"))
    want_out = board.want_outside[i]
    best = min(
        candidates,
        key=lambda j: (board.load[j], want_out and not board.outside[j], board.expertise[i, j], j),
    )
    expert = board.experts[best]
    percent, words = board.match(i, best)
    assignment, _created = Assignment.objects.update_or_create(
        round=review_round,
        case=case,
        expert=expert,
        defaults={
            "status": AssignmentStatus.CONFIRMED,
            "confirmed_at": timezone.now(),
            "notified_at": timezone.now(),
            "created_by": by,
            "match_percent": percent,
            "match_terms": words,
        },
    )
    notify_assigned(expert, review_round, [case])
    return assignment
