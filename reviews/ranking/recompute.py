"""From raw scores to tiers, with numpy alone: the one code path of the ranking.

`rank_cases` is what `compute_ranking` runs on the database's scores; `check_manifest`
runs it on a published results manifest (reform_cases/publication/manifest.py), so that
`verify_results` and the standalone `scripts/verify_manifest.py` (which needs no
database and no Django, only numpy) recompute the published tiers the same way.
"""

import hashlib
import json

import numpy as np

from reviews.ranking import statistics

BASES = ("trimmed", "mean", "median", "normalised")


def rank_cases(
    case_idx, expert_idx, totals, n_cases: int, n_experts: int, quotas, *, basis: str,
    tie_break: bool,
) -> dict:  # fmt: skip
    """Aggregates, the basis value and the tiers of every case (see statistics.py)."""
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}")
    agg = statistics.case_aggregates(case_idx, totals, n_cases)
    normalised_totals, _standardised = statistics.normalise_by_expert(expert_idx, totals, n_experts)
    normalised = statistics.case_aggregates(case_idx, normalised_totals, n_cases)["mean"]
    values = {
        "trimmed": agg["trimmed"],
        "mean": agg["mean"],
        "median": agg["median"],
        "normalised": normalised,
    }[basis]
    keys = [np.nan_to_num(agg["median"], nan=-1e9), -agg["std"]] if tie_break else None
    ranked = statistics.rank_into_tiers(values, quotas, tie_break=keys)
    return {"agg": agg, "normalised": normalised, "basis": values, **ranked}


# --- a manifest, with no database ------------------------------------------------------------


def canonical_json(value) -> str:
    """The manifest's spelling of a JSON value (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def manifest_sha256(data: dict) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def recompute_manifest(data: dict) -> dict[str, dict]:
    """Each ranked case's recomputed proposed tier and its final tier after the overrides.

    Returns {case id: {"proposed": code or None, "final": code or None, "rank": n or None}}.
    """
    ranking = data["ranking"]
    tiers = sorted(data["tiers"], key=lambda t: t["order"])
    codes = [t["code"] for t in tiers]
    quotas = [int(t["quota"]) for t in tiers]
    criteria = ranking["criteria"]
    maxima = np.array([float(c["max"]) for c in criteria])
    weights = np.array([float(c["weight"]) for c in criteria])
    case_ids = sorted(c["id"] for c in ranking["cases"])
    position = {cid: i for i, cid in enumerate(case_ids)}
    reviews = [r for r in ranking["reviews"] if r["case"] in position]
    experts = sorted({r["expert"] for r in reviews})
    expert_position = {e: i for i, e in enumerate(experts)}
    values = np.array(
        [[float(r["scores"].get(c["id"]) or 0) for c in criteria] for r in reviews]
    ).reshape(len(reviews), len(criteria))
    totals = statistics.review_totals(values, maxima, weights) if len(reviews) else np.array([])
    ranked = rank_cases(
        np.array([position[r["case"]] for r in reviews], dtype=np.int64),
        np.array([expert_position[r["expert"]] for r in reviews], dtype=np.int64),
        totals,
        len(case_ids),
        len(experts),
        quotas,
        basis=ranking["basis"],
        tie_break=bool(ranking["tie_break"]),
    )
    result = {}
    for cid, i in position.items():
        tier = int(ranked["tier"][i])
        rank = int(ranked["rank"][i])
        proposed = codes[tier] if tier >= 0 else None
        result[cid] = {"proposed": proposed, "final": proposed, "rank": rank or None}
    for override in ranking["overrides"]:  # in the order they were recorded
        if override["case"] in result:
            result[override["case"]]["final"] = override["to"]
    return result


def check_manifest(data: dict, expected_sha256: str | None = None) -> list[str]:
    """Every difference between a manifest and what its own raw scores give; [] when none."""
    problems = []
    if expected_sha256 and manifest_sha256(data) != expected_sha256.lower():
        problems.append("清单的 SHA-256 与公布的不符:清单被改动或不是公布的那一份")
    ranking = data.get("ranking")
    if not ranking:
        return problems  # a historical result: no raw scores to recompute from
    if (
        hashlib.sha256(canonical_json({"r": ranking["reviews"]}).encode()).hexdigest()
        != ranking["reviews_sha256"]
    ):
        problems.append("原始评分的 SHA-256 不符:评分被改动")
    recomputed = recompute_manifest(data)
    for case in ranking["cases"]:
        got = recomputed.get(case["id"])
        if got is None:
            continue
        if got["proposed"] != case["proposed_tier"]:
            problems.append(
                f"案例 {case['id']}:按原始评分应为“{got['proposed'] or '无等次'}”,"
                f"清单记为“{case['proposed_tier'] or '无等次'}”"
            )
        if got["final"] != case["final_tier"]:
            problems.append(
                f"案例 {case['id']}:按评分和调整记录应为“{got['final'] or '无等次'}”,"
                f"清单的最终等次为“{case['final_tier'] or '无等次'}”"
            )
    published = {item["id"]: item["tier"] for item in data.get("published", [])}
    for case in ranking["cases"]:
        if case["public"] and case["id"] in published:
            final = recomputed.get(case["id"], {}).get("final")
            if published[case["id"]] != final:
                problems.append(
                    f"案例 {case['id']}:公布的等次“{published[case['id']] or '无等次'}”"
                    f"与重新计算的“{final or '无等次'}”不符"
                )
    return problems
