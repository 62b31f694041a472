"""Property-based tests of the reviewer-assignment solver (reviews/assignment/solver.py, issue 6).

Random instances are built directly as arrays: cases with a field and an
organisation, experts with up to two fields, an organisation or none, inside or
outside the province, a capacity and a load already kept; panel coverage, and
conflicts (same organisation, declared pairs) are the pairs removed from the
eligible list; mismatch comes from the fields.

The solver's answers are checked against an independent oracle: a plain
Edmonds–Karp maximum flow written here (with lower bounds through the usual
circulation reduction), and, on tiny instances, brute-force enumeration of every
assignment. Nothing here shares code with the solver.
"""

import itertools
from collections import deque

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reviews.assignment.solver import Instance, Solution, greedy, solve

# No example database: nothing is written next to the repository.
PROPERTY = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TINY = settings(max_examples=80, deadline=None, database=None)
# Properties that hold only on some instances `assume()` their precondition: Hypothesis then
# draws until it has max_examples instances that meet it (about 3 in 4 do not).
CONDITIONAL = settings(
    PROPERTY, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# --- an independent maximum flow ------------------------------------------------------


class Network:
    """A directed network with integer capacities; Edmonds–Karp (BFS augmenting paths)."""

    def __init__(self):
        self.cap = {}
        self.adj = {}

    def arc(self, u, v, c):
        if c <= 0:
            self.adj.setdefault(u, set())
            self.adj.setdefault(v, set())
            return
        self.cap[(u, v)] = self.cap.get((u, v), 0) + c
        self.cap.setdefault((v, u), 0)
        self.adj.setdefault(u, set()).add(v)
        self.adj.setdefault(v, set()).add(u)

    def max_flow(self, s, t):
        if s not in self.adj or t not in self.adj:
            return 0
        total = 0
        while True:
            parent = {s: None}
            queue = deque([s])
            while queue and t not in parent:
                u = queue.popleft()
                for v in self.adj[u]:
                    if v not in parent and self.cap[(u, v)] > 0:
                        parent[v] = u
                        queue.append(v)
            if t not in parent:
                return total
            path, v = [], t
            while parent[v] is not None:
                path.append((parent[v], v))
                v = parent[v]
            push = min(self.cap[a] for a in path)
            for u, v in path:
                self.cap[(u, v)] -= push
                self.cap[(v, u)] += push
            total += push


INF = 10**9


def feasible_with_bounds(arcs, source, sink):
    """Is there a source→sink flow meeting every arc's (low, high)? Circulation reduction."""
    net = Network()
    excess = {}
    for u, v, low, high in arcs:
        if low > high:
            return False
        net.arc(u, v, high - low)
        excess[v] = excess.get(v, 0) + low
        excess[u] = excess.get(u, 0) - low
    net.arc(sink, source, INF)
    demand = 0
    for node, e in excess.items():
        if e > 0:
            net.arc("S*", node, e)
            demand += e
        elif e < 0:
            net.arc(node, "T*", -e)
    return net.max_flow("S*", "T*") == demand


def pairs_of(inst):
    return list(zip(inst.pair_case.tolist(), inst.pair_expert.tolist(), strict=True))


def max_assignable(inst) -> int:
    """How many of the needed places an assignment can fill at most (capacity-bounded)."""
    net = Network()
    for c, n in enumerate(inst.need.tolist()):
        net.arc("s", ("c", c), n)
    for c, e in pairs_of(inst):
        net.arc(("c", c), ("e", e), 1)
    for e, cap in enumerate(inst.capacity.tolist()):
        net.arc(("e", e), "t", cap)
    return net.max_flow("s", "t")


def balanced_bounds(inst):
    """Per expert, the (low, high) of new cases that keep every total load in {m, m + 1}."""
    n_e = inst.capacity.size
    total = int(inst.load.sum() + inst.need.sum())
    m = total // n_e
    return [
        (max(0, m - int(inst.load[e])), min(int(inst.capacity[e]), m + 1 - int(inst.load[e])))
        for e in range(n_e)
    ]


def balanced_feasible(inst, *, with_outside=False) -> bool:
    """Does a complete assignment exist whose total loads differ by at most one?

    Any vector of loads with max − min ≤ 1 and a fixed sum T over E experts takes its
    values in {⌊T/E⌋, ⌊T/E⌋ + 1}, so bounding every expert's new cases to that window
    (lower bounds included) decides balanced feasibility exactly. With `with_outside`,
    every case that still wants an outside expert must also get at least one.
    """
    arcs = []
    for c, n in enumerate(inst.need.tolist()):
        arcs.append(("s", ("c", c), n, n))
        want = 1 if (with_outside and inst.want_outside[c] and n > 0) else 0
        arcs.append((("c", c), ("o", c), want, n))
    for c, e in pairs_of(inst):
        tail = ("o", c) if inst.outside[e] else ("c", c)
        arcs.append((tail, ("e", e), 0, 1))
    for e, (low, high) in enumerate(balanced_bounds(inst)):
        arcs.append((("e", e), "t", low, high))
    return feasible_with_bounds(arcs, "s", "t")


# --- random instances ---------------------------------------------------------------------


@st.composite
def instances(draw, *, max_cases=8, max_experts=6, max_k=3):
    """A random round: fields, organisations (conflicts), panels, declared conflicts,
    capacities, loads already kept, outside experts."""
    n_c = draw(st.integers(1, max_cases))
    n_e = draw(st.integers(1, max_experts))
    k = draw(st.integers(1, max_k))
    n_fields = draw(st.integers(1, 4))
    n_orgs = draw(st.integers(1, 4))

    def per(n, strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    case_field = per(n_c, st.integers(0, n_fields - 1))
    case_org = per(n_c, st.integers(0, n_orgs - 1))
    expert_fields = per(n_e, st.sets(st.integers(0, n_fields - 1), max_size=2))
    outside = per(n_e, st.booleans())
    # Inside experts belong to an organisation (or none); outside ones never conflict by it.
    expert_org = [
        None if out else org
        for out, org in zip(outside, per(n_e, st.none() | st.integers(0, n_orgs - 1)), strict=True)
    ]
    capacity = per(n_e, st.integers(0, 3 * k) | st.integers(k, 3 * k))
    load = per(n_e, st.just(0) | st.integers(0, 2))
    # Already kept: some cases need fewer, and may already have an outside expert.
    need = per(n_c, st.sampled_from([k, k, k, k - 1, 0]).map(lambda n: max(n, 0)))
    want_outside = per(n_c, st.booleans() | st.just(True))
    # A panel covers a random subset of the fields; cases of uncovered fields go to everyone.
    panel_fields = draw(st.sets(st.integers(0, n_fields - 1)))
    panel_members = per(n_e, st.booleans())
    declared = draw(
        st.sets(
            st.tuples(st.integers(0, n_c - 1), st.integers(0, n_e - 1)),
            max_size=max(1, n_c * n_e // 4),
        )
    )
    pc, pe, pm = [], [], []
    for c in range(n_c):
        for e in range(n_e):
            if case_field[c] in panel_fields and any(panel_members) and not panel_members[e]:
                continue
            if expert_org[e] is not None and expert_org[e] == case_org[c]:
                continue  # same organisation: a conflict
            if (c, e) in declared:
                continue  # a declared conflict (or a pair already kept)
            pc.append(c)
            pe.append(e)
            pm.append(0 if case_field[c] in expert_fields[e] else 1)
    return Instance(
        need=np.array(need, dtype=np.int64),
        capacity=np.array(capacity, dtype=np.int64),
        load=np.array(load, dtype=np.int64),
        outside=np.array(outside, dtype=bool),
        want_outside=np.array(want_outside, dtype=bool),
        pair_case=np.array(pc, dtype=np.int64),
        pair_expert=np.array(pe, dtype=np.int64),
        pair_mismatch=np.array(pm, dtype=np.int64),
    )


def chosen(solution: Solution):
    return list(zip(solution.pair_case.tolist(), solution.pair_expert.tolist(), strict=True))


def totals(inst, solution):
    return inst.load + np.bincount(solution.pair_expert, minlength=inst.capacity.size)


def check_valid(inst, solution):
    """What holds for every answer, complete or not."""
    picked = chosen(solution)
    eligible = set(pairs_of(inst))
    assert set(picked) <= eligible, "a pair outside the eligible (conflict-free) pairs was assigned"
    assert len(set(picked)) == len(picked), "a (case, expert) pair was assigned twice"
    per_expert = np.bincount(solution.pair_expert, minlength=inst.capacity.size)
    assert (per_expert <= inst.capacity).all(), "an expert was given more than their capacity"
    per_case = np.bincount(solution.pair_case, minlength=inst.need.size)
    assert (per_case <= inst.need).all(), "a case got more reviewers than it needs"
    assert solution.assigned == len(picked)
    assert solution.needed == int(inst.need.sum())
    assert solution.short_cases.tolist() == np.flatnonzero(per_case < inst.need).tolist()


# --- properties -----------------------------------------------------------------------------


@PROPERTY
@given(instances())
def test_complete_whenever_max_flow_says_so_and_never_breaks_a_rule(inst):
    solution = solve(inst)
    check_valid(inst, solution)
    best = max_assignable(inst)
    # The solver is a max flow: it fills as many places as any assignment could.
    assert solution.assigned == best
    if best == int(inst.need.sum()):
        assert solution.complete
        assert (np.bincount(solution.pair_case, minlength=inst.need.size) == inst.need).all()
        assert solution.short_cases.size == 0
    else:
        assert not solution.complete
        assert solution.short_cases.size > 0


@CONDITIONAL
@given(instances())
def test_loads_differ_by_at_most_one_whenever_a_balanced_assignment_exists(inst):
    assume(balanced_feasible(inst))
    solution = solve(inst)
    assert solution.complete
    loads = totals(inst, solution)
    assert loads.max() - loads.min() <= 1, (loads.tolist(), balanced_bounds(inst))


@CONDITIONAL
@given(instances())
def test_every_case_gets_an_outside_expert_when_balance_allows_it(inst):
    """Balance comes first (the solver's stated order: balance ≫ outside ≫ expertise), so the
    guarantee is conditional: whenever some balanced complete assignment puts an outside expert
    on every case that still wants one, the solver's does too. (Plain "an outside expert with
    spare capacity for each case" is not enough: one outside expert among five cannot take all
    ten cases of a k = 1 round without breaking max − min ≤ 1.)"""
    assume(balanced_feasible(inst, with_outside=True))
    solution = solve(inst)
    assert solution.complete
    has_outside = np.zeros(inst.need.size, dtype=bool)
    for c, e in chosen(solution):
        has_outside[c] |= bool(inst.outside[e])
    wanting = inst.want_outside & (inst.need > 0)
    assert has_outside[wanting].all(), np.flatnonzero(wanting & ~has_outside).tolist()


@PROPERTY
@given(instances(max_cases=30, max_experts=12, max_k=5))
def test_larger_instances_keep_the_hard_rules(inst):
    solution = solve(inst)
    check_valid(inst, solution)
    assert solution.complete == (max_assignable(inst) == int(inst.need.sum()))


@PROPERTY
@given(instances())
def test_greedy_baseline_keeps_the_hard_rules_too(inst):
    solution = greedy(inst)
    check_valid(inst, solution)


def lexicographic_key(inst, picked):
    """(Σ load², cases still lacking an outside expert, expertise mismatches): the solver's stated
    order. Σ load² orders the same as the solver's convex load cost, whatever the kept loads."""
    loads = inst.load.copy()
    has_outside = np.zeros(inst.need.size, dtype=bool)
    mismatch = dict(zip(pairs_of(inst), inst.pair_mismatch.tolist(), strict=True))
    for c, e in picked:
        loads[e] += 1
        has_outside[c] |= bool(inst.outside[e])
    uncovered = int((inst.want_outside & (inst.need > 0) & ~has_outside).sum())
    return int((loads**2).sum()), uncovered, sum(mismatch[p] for p in picked)


def brute_force_best(inst):
    """The lexicographically best complete assignment by enumeration, or None."""
    options = []
    for c, n in enumerate(inst.need.tolist()):
        experts = [e for cc, e in pairs_of(inst) if cc == c]
        options.append(list(itertools.combinations(experts, n)))
    best = None
    for combo in itertools.product(*options):
        picked = [(c, e) for c, group in enumerate(combo) for e in group]
        used = np.bincount([e for _, e in picked], minlength=inst.capacity.size)
        if (used > inst.capacity).any():
            continue
        key = lexicographic_key(inst, picked)
        if best is None or key < best:
            best = key
    return best


@TINY
@given(instances(max_cases=3, max_experts=4, max_k=2))
def test_tiny_instances_match_brute_force_order_balance_outside_expertise(inst):
    """On instances small enough to enumerate, the solver's assignment is as good as the best
    one in the stated order: first balance, then outside experts, then field expertise."""
    best = brute_force_best(inst)
    solution = solve(inst)
    if best is None:
        assert not solution.complete
        return
    assert solution.complete
    assert lexicographic_key(inst, chosen(solution)) == best


# --- explicit examples -------------------------------------------------------------------------


def explicit(need, capacity, outside, pairs, *, load=None, want_outside=None):
    """An instance from {(case, expert): mismatch}."""
    n_c, n_e = len(need), len(capacity)
    return Instance(
        need=np.array(need, dtype=np.int64),
        capacity=np.array(capacity, dtype=np.int64),
        load=np.array(load or [0] * n_e, dtype=np.int64),
        outside=np.array(outside, dtype=bool),
        want_outside=np.array(want_outside or [True] * n_c, dtype=bool),
        pair_case=np.array([c for c, _ in pairs], dtype=np.int64),
        pair_expert=np.array([e for _, e in pairs], dtype=np.int64),
        pair_mismatch=np.array(list(pairs.values()), dtype=np.int64),
    )


def test_matching_expertise_is_chosen_over_a_mismatch_at_equal_loads():
    # Two cases (fields A, B), two inside experts (fields A, B), both eligible for both.
    inst = explicit(
        need=[1, 1],
        capacity=[5, 5],
        outside=[False, False],
        pairs={(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0},
    )
    assert sorted(chosen(solve(inst))) == [(0, 0), (1, 1)]


def test_matching_expertise_wins_among_equally_loaded_experts():
    # Three cases of field A, six experts: three know A, three do not; k = 1, ample capacity.
    pairs = {(c, e): (0 if e < 3 else 1) for c in range(3) for e in range(6)}
    inst = explicit(need=[1, 1, 1], capacity=[4] * 6, outside=[False] * 6, pairs=pairs)
    solution = solve(inst)
    assert solution.complete
    assert all(e < 3 for _, e in chosen(solution))
    assert sorted(totals(inst, solution).tolist()) == [0, 0, 0, 1, 1, 1]


def test_balance_comes_before_expertise():
    # One expert knows the field of all four cases; the other knows none. Balance wins: 2 + 2.
    pairs = {(c, e): e for c in range(4) for e in range(2)}
    inst = explicit(need=[1] * 4, capacity=[10, 10], outside=[False, False], pairs=pairs)
    solution = solve(inst)
    assert totals(inst, solution).tolist() == [2, 2]


def test_outside_expert_spread_over_cases():
    # Two outside experts, four inside; four cases with k = 2: every case gets one outside expert.
    pairs = {(c, e): 0 for c in range(4) for e in range(6)}
    inst = explicit(need=[2] * 4, capacity=[4] * 6, outside=[True, True] + [False] * 4, pairs=pairs)
    solution = solve(inst)
    got = {c: [e for cc, e in chosen(solution) if cc == c] for c in range(4)}
    assert all(any(e < 2 for e in experts) for experts in got.values()), got
    loads = totals(inst, solution)
    assert loads.max() - loads.min() <= 1


def test_infeasible_instance_is_reported_with_the_short_cases():
    # Case 1 has a single eligible expert and needs two.
    inst = explicit(
        need=[2, 2],
        capacity=[5, 5, 5],
        outside=[False] * 3,
        pairs={(0, 0): 0, (0, 1): 0, (0, 2): 0, (1, 2): 0},
    )
    solution = solve(inst)
    assert not solution.complete
    assert solution.short_cases.tolist() == [1]
    assert solution.assigned == 3 and solution.needed == 4


def test_nothing_eligible_reports_every_case_that_needs_reviewers():
    inst = explicit(need=[2, 0, 1], capacity=[5], outside=[False], pairs={})
    solution = solve(inst)
    assert not solution.complete
    assert solution.short_cases.tolist() == [0, 2]


def test_outside_expert_outweighs_any_number_of_mismatches():
    """The solver's stated order is balance ≫ an outside expert on every case ≫ expertise.

    Three cases (k = 2), outside experts O1–O3, inside experts I1–I3 and X, every expert
    able to take one more case; O3 and I1 already carry one kept case. A balanced assignment
    with an outside expert on every case exists (c0: O1 X · c1: O2 I2 · c2: O3 I3, five
    mismatches), with the same loads as the solver's (c0: I3 X · c1: O1 I1 · c2: O2 I2, no
    mismatch) which leaves c0 without an outside expert: five mismatches outweigh the outside
    "bonus" of n_cases + 1 = 4.
    """
    o1, o2, o3, i1, i2, i3, x = range(7)
    pairs = {
        (1, o1): 0, (1, i1): 0, (2, o2): 0, (2, i2): 0, (0, i3): 0, (0, x): 0,
        (0, o1): 1, (1, o2): 1, (2, o3): 1, (1, i2): 1, (2, i3): 1,
    }  # fmt: skip
    inst = explicit(
        need=[2, 2, 2],
        capacity=[1] * 7,
        outside=[True, True, True, False, False, False, False],
        pairs=pairs,
        load=[0, 0, 1, 1, 0, 0, 0],
    )
    assert balanced_feasible(inst, with_outside=True)
    assert brute_force_best(inst) == (10, 0, 5)
    solution = solve(inst)
    assert solution.complete
    has_outside = {c for c, e in chosen(solution) if inst.outside[e]}
    assert has_outside == {0, 1, 2}, sorted(chosen(solution))
