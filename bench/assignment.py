"""Reviewer assignment at provincial scale: the min-cost flow beside a greedy baseline (issue 6).

Pure arrays, no database: 5,000 cases, 300 experts, k = 5 by default. Ten fields
(each expert knows two), about a quarter of the experts from outside the
province, organisations in city → county clusters (an expert never reviews a
case of their own unit, its parent or its child, as reviews/conflicts.py rules)
plus about 2 % of the pairs declared as conflicts. Two capacity settings on the
same cases, experts and conflicts: ample (1.2–2× the mean load) and tight (uneven,
0.3–1.7× the mean load, adding up to exactly the need).

    .venv/bin/python bench/assignment.py [--cases 5000 --experts 300 --k 5 --seed 1]

Prints a table and replaces the `bench:assignment` section of BENCHMARKS.md.
"""

import argparse
import contextlib
import shlex
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import ortools  # noqa: E402

from bench.report import machine_line, write_section  # noqa: E402
from reviews.assignment.solver import Instance, greedy, solve  # noqa: E402

SECTION = "assignment"
TARGET_SECONDS = 10.0
N_FIELDS = 10
N_CITIES = 11
COUNTIES_PER_CITY = 8


def synthetic_round(*, cases, experts, seed):
    """Fields, outside flags and the full conflict matrix of a random round."""
    rng = np.random.default_rng(seed)
    case_field = rng.integers(0, N_FIELDS, cases)
    # Two distinct fields per expert.
    first = rng.integers(0, N_FIELDS, experts)
    second = (first + rng.integers(1, N_FIELDS, experts)) % N_FIELDS
    knows = np.zeros((experts, N_FIELDS), dtype=bool)
    knows[np.arange(experts), first] = True
    knows[np.arange(experts), second] = True
    outside = rng.random(experts) < 0.25

    # Organisations: 0..N_CITIES-1 are cities, then each city's counties.
    n_orgs = N_CITIES + N_CITIES * COUNTIES_PER_CITY
    parent = np.full(n_orgs, -1)
    parent[N_CITIES:] = np.repeat(np.arange(N_CITIES), COUNTIES_PER_CITY)
    counties = np.arange(N_CITIES, n_orgs)
    # Cases: mostly counties, one in ten submitted by a city.
    case_org = np.where(
        rng.random(cases) < 0.9,
        rng.choice(counties, cases),
        rng.integers(0, N_CITIES, cases),
    )
    # Inside experts: a county (70 %), a city (20 %) or no unit of the province (10 %).
    pick = rng.random(experts)
    expert_org = np.where(
        pick < 0.7,
        rng.choice(counties, experts),
        np.where(pick < 0.9, rng.integers(0, N_CITIES, experts), -1),
    )
    expert_org[outside] = -1

    has_org = (expert_org >= 0)[None, :]
    same = case_org[:, None] == expert_org[None, :]
    case_is_child = parent[case_org][:, None] == expert_org[None, :]
    expert_parent = np.where(expert_org >= 0, parent[np.maximum(expert_org, 0)], -1)
    case_is_parent = case_org[:, None] == expert_parent[None, :]
    organisational = has_org & (
        same | case_is_child | (case_is_parent & (expert_parent >= 0)[None, :])
    )
    declared = rng.random((cases, experts)) < 0.02
    conflict = organisational | declared
    mismatch = ~knows[:, case_field].T  # cases × experts
    return {
        "conflict": conflict,
        "organisational": int(organisational.sum()),
        "declared": int((declared & ~organisational).sum()),
        "mismatch": mismatch,
        "outside": outside,
    }


def tight_capacities(rng, experts, needed, slack=0.0):
    """Uneven capacities (0.3–1.7× the mean load) that add up to the need (plus `slack`)."""
    raw = rng.uniform(0.3, 1.7, experts)
    capacity = np.floor(raw / raw.sum() * needed * (1 + slack))
    short = int(np.ceil(needed * (1 + slack)) - capacity.sum())
    capacity[np.argsort(-raw)[:short]] += 1
    return capacity


def instance(world, *, k, capacity):
    cases, experts = world["conflict"].shape
    pair_case, pair_expert = np.nonzero(~world["conflict"])
    return Instance(
        need=np.full(cases, k, dtype=np.int64),
        capacity=capacity.astype(np.int64),
        load=np.zeros(experts, dtype=np.int64),
        outside=world["outside"],
        want_outside=np.ones(cases, dtype=bool),
        pair_case=pair_case.astype(np.int64),
        pair_expert=pair_expert.astype(np.int64),
        pair_mismatch=world["mismatch"][pair_case, pair_expert].astype(np.int64),
    )


def measure(world, inst, run):
    """Time one solver and check its answer against the full conflict matrix."""
    started = time.perf_counter()
    solution = run(inst)
    seconds = time.perf_counter() - started
    c, e = solution.pair_case, solution.pair_expert
    n_cases, n_experts = world["conflict"].shape
    got = np.bincount(c, minlength=n_cases)
    load = np.bincount(e, minlength=n_experts)
    has_outside = np.zeros(n_cases, dtype=bool)
    has_outside[c[world["outside"][e]]] = True
    return {
        "seconds": seconds,
        "assigned": int(c.size),
        "needed": int(inst.need.sum()),
        "short": int((got < inst.need).sum()),
        "max": int(load.max()),
        "min": int(load.min()),
        "conflicts": int(world["conflict"][c, e].sum()),
        "duplicates": int(c.size - np.unique(c * n_experts + e).size),
        "over_capacity": int((load > inst.capacity).sum()),
        "no_outside": int((~has_outside).sum()),
        "mismatches": int(world["mismatch"][c, e].sum()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--k", type=int, default=5, help="reviewers per case")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    world = synthetic_round(cases=args.cases, experts=args.experts, seed=args.seed)
    rng = np.random.default_rng(args.seed + 1)
    mean = args.cases * args.k / args.experts
    settings = {
        "ample": np.ceil(mean * rng.uniform(1.2, 2.0, args.experts)),
        "tight": tight_capacities(rng, args.experts, args.cases * args.k),
    }
    results = []
    for label, capacity in settings.items():
        started = time.perf_counter()
        inst = instance(world, k=args.k, capacity=capacity)
        build = time.perf_counter() - started
        for name, run in (("min-cost flow", solve), ("greedy", greedy)):
            results.append((label, name, build, int(capacity.sum()), measure(world, inst, run)))

    pairs = args.cases * args.experts
    conflicts = world["organisational"] + world["declared"]
    scale = (
        f"{args.cases:,} cases × {args.experts} experts, k = {args.k}: "
        f"{args.cases * args.k:,} places; {N_FIELDS} fields (2 per expert); "
        f"{int(world['outside'].sum())} experts from outside the province; "
        f"{conflicts:,} conflicted pairs of {pairs:,} ({conflicts / pairs:.1%}: "
        f"{world['organisational']:,} by organisation, {world['declared']:,} declared)"
    )
    lines = [
        "| capacities | solver | time | assigned / needed | cases short | max / min load "
        "| conflicts violated | over capacity | cases without an outside expert "
        "| expertise mismatches |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, name, _build, total, r in results:
        lines.append(
            f"| {label} (Σ {total:,}) | {name} | {r['seconds']:.2f} s "
            f"| {r['assigned']:,} / {r['needed']:,} | {r['short']} | {r['max']} / {r['min']} "
            f"| {r['conflicts'] + r['duplicates']} | {r['over_capacity']} "
            f"| {r['no_outside']} | {r['mismatches']:,} ({r['mismatches'] / max(r['assigned'], 1):.0%}) |"
        )
    table = "\n".join(lines)
    slowest = max(r["seconds"] for _l, name, _b, _t, r in results if name == "min-cost flow")
    verdict = (
        f"Target: min-cost flow under {TARGET_SECONDS:g} s — "
        f"{'met' if slowest < TARGET_SECONDS else '**not met**'} (slowest {slowest:.2f} s); "
        "building the pair arrays took "
        + " / ".join(f"{b:.2f} s" for _l, name, b, _t, _r in results if name == "greedy")
        + " (not counted)."
    )
    print(scale)
    print(table)
    print(verdict)
    violated = sum(r["conflicts"] + r["duplicates"] + r["over_capacity"] for *_x, r in results)
    if violated:
        print(f"HARD RULES VIOLATED: {violated}", file=sys.stderr)

    if not args.no_write:
        python = Path(sys.executable)
        with contextlib.suppress(ValueError):  # a Python outside the repository stays absolute
            python = python.relative_to(ROOT)
        command = shlex.join([str(python), "bench/assignment.py", *(argv or sys.argv[1:])])
        full = (
            f".venv/bin/python bench/assignment.py --cases {args.cases} "
            f"--experts {args.experts} --k {args.k} --seed {args.seed}"
        )
        body = (
            "## Reviewer assignment (issue 6)\n\n"
            f"`{command}` (= `{full}`), run {date.today().isoformat()} — pure arrays "
            f"(`reviews/assignment/solver.py`), no database; OR-Tools {ortools.__version__}, "
            f"numpy {np.__version__}. {machine_line()}\n\n"
            f"{scale}.\n\n"
            f"{table}\n\n"
            f'{verdict} "Conflicts violated" counts pairs assigned against the full conflict '
            "matrix and duplicated pairs; the greedy baseline takes each case in turn and gives it "
            "the least-loaded eligible experts, ignoring fields and the outside-province mix.\n"
        )
        print(f"written to {write_section(SECTION, body)}")
    return 1 if violated else 0


if __name__ == "__main__":
    sys.exit(main())
