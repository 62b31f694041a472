"""Reviewer assignment as a min-cost flow (pure: arrays in, arrays out).

Network: source → case (capacity: reviewers still needed) → expert (capacity 1
per pair, only for eligible, conflict-free pairs) → sink through one arc per
extra case with increasing cost, so the cheapest flow spreads load evenly
(a separable convex cost: the optimum is the most balanced feasible flow).
Outside-province experts are reached through a second case node whose first
unit is cheaper, which places at least one of them on each case where
possible. The costs are ordered lexicographically: balance ≫ an outside
expert on every case ≫ expertise.

Expertise is a non-negative integer cost per pair (`pair_mismatch`): 0/1 for the field match
(an expert whose fields do not include the case's), or 0..K from the text similarity
(`reviews/assignment/matching.py`: round((1 − cosine) · K)). The solver only needs its maximum:
the outside "bonus" is set above the largest possible sum of expertise costs, so any range keeps
the order.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Instance:
    need: np.ndarray  # per case: reviewers still to assign
    capacity: np.ndarray  # per expert: cases they may still take
    load: np.ndarray  # per expert: cases already kept in this round
    outside: np.ndarray  # per expert: from outside the province
    want_outside: np.ndarray  # per case: has no outside expert yet
    pair_case: np.ndarray  # eligible pairs (conflicts and existing pairs removed)
    pair_expert: np.ndarray
    pair_mismatch: np.ndarray  # expertise cost ≥ 0: 1 for a field mismatch, or 0..K by similarity


@dataclass
class Solution:
    pair_case: np.ndarray
    pair_expert: np.ndarray
    assigned: int
    needed: int
    short_cases: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    @property
    def complete(self):
        return self.assigned == self.needed


def solve(inst: Instance) -> Solution:
    n_cases, n_experts = inst.need.size, inst.capacity.size
    needed = int(inst.need.sum())
    if needed == 0 or inst.pair_case.size == 0:
        return Solution(
            np.array([], np.int64), np.array([], np.int64), 0, needed, np.flatnonzero(inst.need > 0)
        )
    worst = int(inst.pair_mismatch.max(initial=0))
    # Outweighs any sum of expertise costs (at most `worst` per place).
    bonus = worst * needed + 1
    step = (bonus + 1) * (n_cases + 1)  # outweighs any sum of bonuses and expertise costs
    source, sink = 0, 1
    case_node = 2 + np.arange(n_cases)
    outside_node = 2 + n_cases + np.arange(n_cases)
    expert_node = 2 + 2 * n_cases + np.arange(n_experts)

    tails, heads, caps, costs = [], [], [], []

    def arcs(t, h, c, w):
        tails.append(np.asarray(t, np.int64))
        heads.append(np.asarray(h, np.int64))
        caps.append(np.asarray(c, np.int64))
        costs.append(np.asarray(w, np.int64))

    arcs(np.full(n_cases, source), case_node, inst.need, np.zeros(n_cases))
    # First unit to an outside expert is free when the case still lacks one; others cost `bonus`.
    first = np.where(inst.want_outside, 0, bonus)
    arcs(case_node, outside_node, np.minimum(inst.need, 1), first)
    arcs(case_node, outside_node, np.maximum(inst.need - 1, 0), np.full(n_cases, bonus))
    is_out = inst.outside[inst.pair_expert]
    pair_tail = np.where(is_out, outside_node[inst.pair_case], case_node[inst.pair_case])
    pair_cost = inst.pair_mismatch + np.where(is_out, 0, bonus)
    pair_start = sum(t.size for t in tails)
    arcs(pair_tail, expert_node[inst.pair_expert], np.ones(inst.pair_case.size), pair_cost)
    # Expert → sink: one arc per extra case, the j-th costing (load + j) · step.
    cap = inst.capacity.astype(np.int64)
    owner = np.repeat(np.arange(n_experts), cap)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(cap) - cap, cap)
    arcs(
        expert_node[owner],
        np.full(owner.size, sink),
        np.ones(owner.size),
        (inst.load[owner] + offset + 1) * step,
    )

    # Imported here: OR-Tools is ≈ 18 MB that every process loading the URLs (web nodes, and
    # workers sending a notification with a link) would otherwise carry.
    from ortools.graph.python import min_cost_flow

    graph = min_cost_flow.SimpleMinCostFlow()
    graph.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    supplies = np.zeros(2 + 2 * n_cases + n_experts, dtype=np.int64)
    supplies[source], supplies[sink] = needed, -needed
    graph.set_nodes_supplies(np.arange(supplies.size), supplies)
    status = graph.solve_max_flow_with_min_cost()
    if status != graph.OPTIMAL:
        raise RuntimeError(f"min cost flow failed: {status}")
    pair_arcs = pair_start + np.arange(inst.pair_case.size)
    used = graph.flows(pair_arcs) > 0
    chosen_case, chosen_expert = inst.pair_case[used], inst.pair_expert[used]
    got = np.bincount(chosen_case, minlength=n_cases)
    return Solution(
        chosen_case, chosen_expert, int(used.sum()), needed, np.flatnonzero(got < inst.need)
    )


def greedy(inst: Instance) -> Solution:
    """Baseline for the benchmark: each case in turn takes the least-loaded eligible experts."""
    load = inst.load.astype(np.int64).copy()
    left = inst.capacity.astype(np.int64).copy()
    order = np.argsort(inst.pair_case, kind="stable")
    cases, experts = inst.pair_case[order], inst.pair_expert[order]
    starts = np.searchsorted(cases, np.arange(inst.need.size))
    ends = np.searchsorted(cases, np.arange(inst.need.size), side="right")
    out_c, out_e = [], []
    for c in range(inst.need.size):
        candidates = experts[starts[c] : ends[c]]
        candidates = candidates[left[candidates] > 0]
        pick = candidates[np.argsort(load[candidates], kind="stable")[: inst.need[c]]]
        load[pick] += 1
        left[pick] -= 1
        out_c.extend([c] * pick.size)
        out_e.extend(pick.tolist())
    chosen_case = np.array(out_c, dtype=np.int64)
    got = (
        np.bincount(chosen_case, minlength=inst.need.size)
        if chosen_case.size
        else np.zeros(inst.need.size, int)
    )
    return Solution(
        chosen_case,
        np.array(out_e, np.int64),
        len(out_c),
        int(inst.need.sum()),
        np.flatnonzero(got < inst.need),
    )
