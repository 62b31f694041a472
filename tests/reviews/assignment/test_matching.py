"""Matching experts to cases by content (issue 18; reviews/assignment/matching.py).

A hand-built scene: two experts, equally loaded, each of whom reviewed last year's case on one
topic (未来社区 / 垃圾分类), and this year's two cases on the same two topics. Their declared
fields point the other way, so the text and the field match disagree: the text must win when
vectors exist, and the fields when no model has been fitted yet. The model is fitted by
case_text's own refit on the scene's cases, and the expert vectors by the task that its signal
triggers: nothing here builds a vector by hand.
"""

import itertools
import re

import numpy as np
import pytest
from django.urls import reverse

from case_text.core.vectors import SparseVector, cosine
from case_text.services import refit_model
from reviews.assignment import matching
from reviews.assignment import proposal as auto_assign
from reviews.assignment.solver import Instance, solve
from reviews.models import Assignment, ExpertVector, Panel
from reviews.panels.expert_vectors import refresh_expert_vectors
from tests.factories import (
    FieldFactory,
    UserFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    review_of,
    reviewing_campaign,
)
from tests.helpers import client_of

COMMUNITY = {
    "summary": "建设未来社区,打造邻里中心和社区议事平台。",
    "background": "老旧小区改造任务重,居民自治不足,邻里关系疏远。",
    "measures": "推进未来社区建设,设立邻里中心,完善物业管理和业委会制度,加装电梯。",
    "results": "未来社区居民满意度提高,邻里中心服务居民十万人次。",
}
WASTE = {
    "summary": "推行垃圾分类,厨余垃圾资源化利用。",
    "background": "生活垃圾产生量大,分类投放习惯未养成,焚烧处理能力不足。",
    "measures": "实行垃圾分类定时定点投放,建设厨余垃圾处理中心,推进再生资源回收。",
    "results": "垃圾分类覆盖率达到百分之九十,厨余垃圾资源化利用率提高。",
}


class Scene:
    """Names → objects."""


def _case(campaign, title, text, field, **kwargs):
    return accepted_case_for_review(
        campaign, title=title, field=field, innovation="", replicability="", **text, **kwargs
    )


@pytest.fixture
def scene(db):
    s = Scene()
    s.admin = UserFactory(administrator=True, display_name="组织方")
    s.f_community = FieldFactory(name="社区建设(匹配)")
    s.f_waste = FieldFactory(name="环境整治(匹配)")
    # Declared fields point the wrong way: the field match alone would swap the pairs.
    s.x = make_expert(affiliation=None, name="社区专家", institution="甲大学")
    s.y = make_expert(affiliation=None, name="环境专家", institution="乙大学")
    s.x.expert_profile.fields.set([s.f_waste])
    s.y.expert_profile.fields.set([s.f_community])
    # Last year: X reviewed a community case, Y a waste case (submitted reviews).
    earlier = reviewing_campaign()
    criteria = make_rubric(earlier)
    old_a = _case(earlier, "某区未来社区建设试点", COMMUNITY, s.f_community)
    old_b = _case(earlier, "某县生活垃圾分类改革", WASTE, s.f_waste)
    old_round = make_open_round(earlier, cases=[old_a, old_b], k=1)
    review_of(confirmed(old_round, old_a, s.x), criteria, [8] * len(criteria))
    review_of(confirmed(old_round, old_b, s.y), criteria, [8] * len(criteria))
    # This year: one case on each topic, k = 1, both experts free.
    s.campaign = reviewing_campaign()
    make_rubric(s.campaign)
    s.a = _case(s.campaign, "未来社区邻里中心建设", COMMUNITY, s.f_community)
    s.b = _case(s.campaign, "厨余垃圾分类投放改革", WASTE, s.f_waste)
    s.round = make_open_round(s.campaign, cases=[s.a, s.b], k=1)
    return s


def fit_text_model(s, capture):
    """case_text's refit; its signal recomputes every expert vector (a task, run on commit)."""
    with capture(execute=True):
        report = refit_model(by=s.admin)
    return report.version


def pairs(review_round):
    return {
        a.case_id: a for a in Assignment.objects.filter(round=review_round).select_related("expert")
    }


# --- the proposal ----------------------------------------------------------------------------


def test_the_expert_whose_reviewed_cases_resemble_the_case_gets_it(
    scene, django_capture_on_commit_callbacks
):
    version = fit_text_model(scene, django_capture_on_commit_callbacks)
    assert set(ExpertVector.objects.values_list("user_id", "model_id")) == {
        (scene.x.pk, version),
        (scene.y.pk, version),
    }
    proposal = auto_assign.propose_assignment(review_round=scene.round, by=scene.admin)

    assert proposal.applied and proposal.min_load == proposal.max_load == 1
    got = pairs(scene.round)
    assert got[scene.a.pk].expert == scene.x  # against the fields, with the text
    assert got[scene.b.pk].expert == scene.y
    community = got[scene.a.pk]
    assert 0 < community.match_percent <= 100
    assert "未来社区" in community.match_terms
    assert 2 <= len(community.match_terms) <= matching.MATCH_TERMS
    # The stored 匹配度 is the pair's cosine, above the pair the solver did not choose.
    board = auto_assign.build_board(scene.round)
    i, jx, jy = (
        board.cases.index(scene.a),
        board.experts.index(scene.x),
        board.experts.index(scene.y),
    )
    assert community.match_percent == round(board.text.similarity[i, jx] * 100)
    assert board.text.similarity[i, jx] > board.text.similarity[i, jy]
    assert board.expertise[i, jx] < board.expertise[i, jy]


def test_without_a_text_model_the_field_match_decides_as_before(scene):
    proposal = auto_assign.propose_assignment(review_round=scene.round, by=scene.admin)

    assert proposal.applied
    got = pairs(scene.round)
    assert got[scene.a.pk].expert == scene.y  # Y declared the community field
    assert got[scene.b.pk].expert == scene.x
    assert all(a.match_percent is None and a.match_terms == [] for a in got.values())
    assert not ExpertVector.objects.exists()


def test_a_case_without_a_vector_falls_back_to_the_fields(
    scene, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    scene.a.text_vectors.all().delete()  # e.g. its vectorize task has not run yet

    auto_assign.propose_assignment(review_round=scene.round, by=scene.admin)

    got = pairs(scene.round)
    assert got[scene.a.pk].expert == scene.y and got[scene.a.pk].match_percent is None
    assert got[scene.b.pk].expert == scene.x  # balance: the other one
    assert got[scene.b.pk].match_percent is not None


def test_an_expert_outside_the_panel_of_the_case_stays_ineligible(
    scene, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    community = Panel.objects.create(campaign=scene.campaign, name="社区组")
    community.fields.set([scene.f_community])
    community.members.set([scene.y])  # X, the best match by text, is not a member
    waste = Panel.objects.create(campaign=scene.campaign, name="环境组")
    waste.fields.set([scene.f_waste])
    waste.members.set([scene.x, scene.y])
    scene.round.panels.set([community, waste])

    auto_assign.propose_assignment(review_round=scene.round, by=scene.admin)

    got = pairs(scene.round)
    assert got[scene.a.pk].expert == scene.y
    assert got[scene.b.pk].expert == scene.x


# --- the expert vectors ----------------------------------------------------------------------


def test_expert_vectors_follow_a_refit_and_skip_unchanged_experts(
    scene, django_capture_on_commit_callbacks
):
    first = fit_text_model(scene, django_capture_on_commit_callbacks)
    before = ExpertVector.objects.get(user=scene.x)
    assert before.model_id == first and before.n_reviewed == 1
    assert refresh_expert_vectors() == 0  # nothing changed: both skipped by their hash

    second = fit_text_model(scene, django_capture_on_commit_callbacks)

    assert second > first
    assert set(ExpertVector.objects.values_list("model_id", flat=True)) == {second}


def test_saving_keywords_recomputes_that_experts_vector(
    scene, client, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    before = ExpertVector.objects.get(user=scene.y)
    office = client_of(scene.admin)
    url = reverse("manage:expert-edit", kwargs={"pk": scene.y.pk})
    data = {
        "institution": "乙大学",
        "fields": [scene.f_community.pk],
        "expertise_keywords": "垃圾分类、厨余垃圾、再生资源",
        "max_cases_per_round": 30,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(url, data).status_code == 302

    after = ExpertVector.objects.get(user=scene.y)
    assert after.content_hash != before.content_hash
    assert after.computed_at > before.computed_at
    # Y's declared words are the waste case's: Y now resembles it more.
    waste = scene.b.text_vectors.get().as_vector()
    assert cosine(after.as_vector(), waste) > cosine(before.as_vector(), waste)


# --- the board -------------------------------------------------------------------------------


def test_the_board_shows_each_pairs_match_and_words_and_sorts_by_it(
    scene, client, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    auto_assign.propose_assignment(review_round=scene.round, by=scene.admin)
    got = pairs(scene.round)
    # Make the two cases' matches differ by a known amount (the board only reads them).
    Assignment.objects.filter(pk=got[scene.a.pk].pk).update(match_percent=71)
    Assignment.objects.filter(pk=got[scene.b.pk].pk).update(match_percent=23)
    office = client_of(scene.admin)
    url = reverse("manage:assign", kwargs={"pk": scene.round.pk})

    page = office.get(url).content.decode()
    assert "71%" in page and "23%" in page
    shown = re.findall(r'class="text-body-secondary match-terms">([^<]*)<', page)
    assert sorted(shown) == sorted("、".join(a.match_terms) for a in got.values())
    assert any("未来社区" in words for words in shown)

    def order(query):
        html = office.get(url, query).content.decode()
        return re.findall(r'fw-semibold" href="[^"]+">([^<]+)<', html)

    assert order({"sort": "match"}) == [scene.b.title, scene.a.title]
    assert order({"sort": "-match"}) == [scene.a.title, scene.b.title]
    assert office.get(url, {"sort": "<script>", "page": "x"}).status_code == 200


def test_the_board_reads_a_bounded_number_of_queries_when_sorted_by_match(
    scene, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    office = client_of(scene.admin)
    url = reverse("manage:assign", kwargs={"pk": scene.round.pk})
    office.get(url)  # per-user values cached on the first page (the unread count, …)
    counts = []
    for extra in (0, 30):
        for n in range(extra):
            case = _case(scene.campaign, f"追加案例{n}", COMMUNITY, scene.f_community)
            scene.round.cases.add(case)
        Assignment.objects.filter(round=scene.round).delete()
        auto_assign.propose_assignment(
            review_round=scene.round, by=scene.admin, accept_partial=True
        )
        with django_assert_max_num_queries(30) as ctx:
            assert office.get(url, {"sort": "match"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- the pure parts --------------------------------------------------------------------------


def _vec(pairs_):
    indices = np.array(sorted(pairs_), dtype=np.int32)
    weights = np.array([pairs_[i] for i in sorted(pairs_)], dtype=np.float32)
    return SparseVector(indices, weights / np.linalg.norm(weights))


def test_an_expert_vector_is_half_keywords_half_the_mean_of_reviewed_cases():
    keywords = _vec({0: 1.0})
    reviewed = [_vec({1: 1.0}), _vec({2: 1.0})]
    # mean of reviewed = (0, ½, ½), normalised (0, 1/√2, 1/√2); ½·k + ½·r normalised:
    # (½, 1/(2√2), 1/(2√2)) / √(¼ + ⅛ + ⅛) = (1/√2, ½, ½).
    v = matching.combine(keywords, reviewed)
    assert v.indices.tolist() == [0, 1, 2]
    assert np.allclose(v.weights, [1 / np.sqrt(2), 0.5, 0.5], atol=1e-6)
    assert matching.combine(keywords, []).weights.tolist() == [1.0]
    assert np.allclose(matching.combine(None, reviewed).weights, [1 / np.sqrt(2)] * 2)
    assert len(matching.combine(None, [])) == 0


def test_expertise_cost_uses_text_where_vectors_exist_and_fields_elsewhere():
    sim = np.array([[0.8, 0.1], [0.0, 0.0]])
    field_mismatch = np.array([[True, False], [False, True]])
    cost = matching.expertise_cost(
        sim, np.array([True, False]), np.array([True, False]), field_mismatch
    )
    # Case 0 has a vector: round((1 − cos)·100), an expert without a vector counts as cos 0
    # (here 0.1 is that expert's cosine only because the matrix was made by hand).
    assert cost.tolist() == [[20, 90], [0, 100]]
    nobody = matching.expertise_cost(
        sim, np.array([True, True]), np.array([False, False]), field_mismatch
    )
    assert nobody.tolist() == [[100, 0], [0, 100]]


def _lexicographic(inst, picked):
    loads = inst.load.copy()
    has_outside = np.zeros(inst.need.size, dtype=bool)
    keys = zip(inst.pair_case.tolist(), inst.pair_expert.tolist(), strict=True)
    cost = dict(zip(keys, inst.pair_mismatch.tolist(), strict=True))
    for c, e in picked:
        loads[e] += 1
        has_outside[c] |= bool(inst.outside[e])
    return (
        int((loads**2).sum()),
        int((inst.want_outside & ~has_outside).sum()),
        sum(cost[p] for p in picked),
    )


def test_text_costs_keep_the_order_balance_outside_expertise_on_small_instances():
    """Costs 0…100 instead of 0/1: brute force over every assignment of small random
    instances finds nothing better in the order balance ≫ outside expert ≫ expertise."""
    rng = np.random.default_rng(18)
    for _ in range(60):
        n_c, n_e = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        pairs_ = [(c, e) for c in range(n_c) for e in range(n_e) if rng.random() < 0.8]
        inst = Instance(
            need=rng.integers(1, 3, n_c).astype(np.int64),
            capacity=rng.integers(1, 4, n_e).astype(np.int64),
            load=rng.integers(0, 2, n_e).astype(np.int64),
            outside=rng.random(n_e) < 0.4,
            want_outside=np.ones(n_c, dtype=bool),
            pair_case=np.array([p[0] for p in pairs_], dtype=np.int64),
            pair_expert=np.array([p[1] for p in pairs_], dtype=np.int64),
            pair_mismatch=rng.integers(0, matching.SCALE + 1, len(pairs_)).astype(np.int64),
        )
        best = None
        options = [
            list(itertools.combinations([e for c2, e in pairs_ if c2 == c], int(inst.need[c])))
            for c in range(n_c)
        ]
        for combo in itertools.product(*options):
            picked = [(c, e) for c, group in enumerate(combo) for e in group]
            used = np.bincount([e for _, e in picked], minlength=n_e)
            if (used <= inst.capacity).all():
                key = _lexicographic(inst, picked)
                best = key if best is None or key < best else best
        solution = solve(inst)
        if best is None:
            assert not solution.complete
            continue
        assert solution.complete
        picked = list(zip(solution.pair_case.tolist(), solution.pair_expert.tolist(), strict=True))
        assert _lexicographic(inst, picked) == best


def test_the_case_page_ranks_experts_by_match_and_hand_assignment_keeps_it(
    scene, django_capture_on_commit_callbacks
):
    fit_text_model(scene, django_capture_on_commit_callbacks)
    office = client_of(scene.admin)
    page = office.get(
        reverse("manage:assign-case", kwargs={"pk": scene.round.pk, "case_pk": scene.a.pk})
    ).content.decode()
    shown = re.findall(r'<td class="expert-match">(\d+)%', page)
    assert len(shown) == 2 and int(shown[0]) > int(shown[1])  # best match first
    assert page.index(str(scene.x)) < page.index(str(scene.y))

    office.post(
        reverse("manage:assign-add", kwargs={"pk": scene.round.pk}),
        {"case": scene.a.pk, "expert": scene.x.pk},
    )

    assignment = Assignment.objects.get(round=scene.round, case=scene.a, expert=scene.x)
    assert assignment.match_percent == int(shown[0])
    assert "未来社区" in assignment.match_terms
