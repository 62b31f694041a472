#!/usr/bin/env python3
"""Check a published results manifest with nothing but Python and numpy.

    python3 scripts/verify_manifest.py results-2021-manifest.json [SHA-256 shown on the page]

Downloads are from /api/results/<year>/manifest.json. The script recomputes every tier from
the manifest's raw scores and ranking configuration with the platform's own arithmetic
(reviews/ranking/recompute.py and statistics.py, which import only numpy), applies the
recorded overrides, and compares with the tiers the manifest and the published list give.
It prints each difference and exits 1, or prints the result and exits 0.
"""

import json
import sys
from pathlib import Path

# The two modules need only numpy: their packages' __init__ files are empty, so no Django.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviews.ranking.recompute import check_manifest, manifest_sha256


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    data = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    expected = argv[1] if len(argv) == 2 else None
    problems = check_manifest(data, expected_sha256=expected)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    ranked = len(data["ranking"]["cases"]) if data.get("ranking") else 0
    reviews = len(data["ranking"]["reviews"]) if data.get("ranking") else 0
    print(
        f"OK {data['campaign']['year']} v{data['version']} sha256 {manifest_sha256(data)}: "
        f"{ranked} cases and {reviews} reviews recomputed, every tier agrees"
        if ranked
        else f"OK {data['campaign']['year']} v{data['version']} sha256 {manifest_sha256(data)}: "
        "no raw scores in this manifest (historical result), the list is as published"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
