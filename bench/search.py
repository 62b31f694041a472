"""Full-text search over a large public archive (issue 18): indexing and query times.

    .venv/bin/python bench/search.py [--cases 10000 --chars 1500 --seed 1]
    bash scripts/services.sh exec .venv/bin/python bench/search.py --pg

A throwaway database (SQLite /tmp/bench-search.sqlite3, recreated, never var/; or with `--pg`
the PostgreSQL of $DATABASE_URL), migrated, with `--cases` synthetic public cases
(bench/text_model.py's generator: jieba dictionary words, 60 topics and a long tail, about
`--chars` characters each) bulk-inserted into four public campaigns. Then:

1. `rebuild_index` and `tidy_after_rebuild` (the `rebuild_search_index` command's work): seconds, cases per second,
   and the database's size before and after;
2. the public page `/results/search/` through django.test.Client, for a frequent word, a
   rare word, two words, and a frequent word with a year filter, page 1 and a far page: the
   median of 5 requests (after one warm-up), the statements each request runs (the same at
   every size) and the number of matches.

Prints a table and replaces its own part (SQLite or PostgreSQL) of the `bench:search` section
of BENCHMARKS.md (`--no-write` to print only).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps and the standard library: the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402
from bench.text_model import synthetic_cases  # noqa: E402

SECTION = "search"
SQLITE_DB = "/tmp/bench-search.sqlite3"
YEARS = (2301, 2302, 2303, 2304)
REPEAT = 5


def setup_database(pg: bool) -> str:
    if pg:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            raise SystemExit("--pg needs DATABASE_URL (run under scripts/services.sh exec)")
        vendor = "PostgreSQL"
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(SQLITE_DB + suffix).unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_DB}"
        vendor = "SQLite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    return vendor


def database_mb() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return pages * cursor.fetchone()[0] / 1024 / 1024
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0] / 1024 / 1024


def seed(n: int, *, chars: int, seed: int):
    from django.utils import timezone

    from case_text.core.documents import CASE_TEXT_FIELDS
    from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome, CaseStatus

    campaigns = [
        Campaign.objects.create(
            year=year,
            title=f"{year}年度检索压测(合成数据)",
            status=CampaignStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        for year in YEARS
    ]
    rows, titles = [], []
    for i, values in enumerate(synthetic_cases(n, chars=chars, seed=seed)):
        fields = dict(zip(CASE_TEXT_FIELDS, values, strict=True))
        fields["title"] = f"{fields['title'][:180]}{i}"
        titles.append(fields["title"])
        rows.append(
            Case(
                campaign=campaigns[i % len(campaigns)],
                title_key=fields["title"],
                status=CaseStatus.ACCEPTED,
                outcome=CaseOutcome.SELECTED,  # public, no tier needed
                **fields,
            )
        )
    Case.objects.bulk_create(rows, batch_size=500)  # no signals: nothing indexed yet
    return titles


def pick_words(n: int):
    """A word in most cases, one in a handful, from the index itself."""
    from collections import Counter

    from case_text.models import SearchEntry

    df = Counter()
    for terms in SearchEntry.objects.values_list("public_terms", flat=True)[:2000].iterator():
        df.update(set(terms.split()))
    sample = min(n, 2000)
    ranked = [w for w, _c in df.most_common() if len(w) >= 2]
    frequent = next(w for w in ranked if df[w] < sample * 0.6)
    rare = next(w for w in reversed(ranked) if df[w] >= 2)
    middle = ranked[len(ranked) // 20]
    return frequent, rare, middle


def measure_queries(words) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # responses carry their context (the number of matches)
    frequent, rare, middle = words
    client = Client()
    cases = [
        ("frequent word", {"q": frequent}),
        ("frequent word, page 40", {"q": frequent, "page": 40}),
        ("rare word", {"q": rare}),
        ("two words", {"q": f"{frequent} {middle}"}),
        ("frequent word + year", {"q": frequent, "year": YEARS[1]}),
    ]
    out = []
    for label, params in cases:
        client.get("/results/search/", params)  # warm-up
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                r = client.get("/results/search/", params)
                times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.status_code
        page = r.context["page"]
        out.append(
            {
                "label": label,
                "query": params["q"],
                "ms": statistics.median(times),
                "queries": len(queries),
                "matches": page.paginator.count if page is not None else 0,
            }
        )
        print(out[-1], flush=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--chars", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    vendor = setup_database(args.pg)

    from django.core.management import call_command

    from case_text.core.segmentation import tokenize
    from case_text.search.schema import tidy_after_rebuild
    from case_text.search.services import rebuild_index

    if args.pg:
        call_command("flush", verbosity=0, interactive=False)
    call_command("migrate", verbosity=0, interactive=False)
    tokenize("预热分词词典")
    seed(args.cases, chars=args.chars, seed=args.seed)
    before = database_mb()
    cpu, t = time.process_time(), time.perf_counter()
    counts = rebuild_index()
    tidy_after_rebuild()  # as the rebuild_search_index command does
    index_s, index_cpu = time.perf_counter() - t, time.process_time() - cpu
    after = database_mb()
    print(f"indexed {counts} in {index_s:.1f} s ({index_cpu:.1f} s CPU)", flush=True)
    rows = measure_queries(pick_words(args.cases))

    lines = [
        f"### {vendor}",
        "",
        f"`bench/search.py --cases {args.cases} --chars {args.chars} --seed {args.seed}"
        f"{' --pg' if args.pg else ''}`, run {date.today().isoformat()}: {args.cases:,} public "
        f"synthetic cases of about {args.chars:,} characters in {len(YEARS)} campaigns. "
        f"{machine_line()}",
        "",
        f"Indexing every case (`rebuild_index`, segmentation included): {index_s:,.1f} s "
        f"({index_cpu:,.1f} s CPU in the process; {args.cases / index_s:,.0f} cases/s); "
        f"database {before:,.0f} MB → {after:,.0f} MB.",
        "",
        "| query | words | matches | `/results/search/`, median of 5 | statements |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['query']} | {row['matches']:,} | {row['ms']:,.0f} ms "
            f"| {row['queries']} |"
        )
    body = "\n".join(lines)
    print(body)
    if args.no_write:
        return
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = f"<!-- bench:{SECTION} -->", f"<!-- /bench:{SECTION} -->"
    parts = {"SQLite": "", "PostgreSQL": ""}
    if start in text:
        old = text.split(start, 1)[1].split(end, 1)[0]
        for name in parts:
            marker = f"### {name}"
            if marker in old:
                parts[name] = marker + old.split(marker, 1)[1].split("### ", 1)[0].rstrip()
    parts[vendor] = body
    header = (
        "## Full-text search (issue 18)\n\nThe public search over a large archive: indexing "
        "time and what one search costs. The statements per request do not depend on the "
        "archive's size (tests/case_text/search/test_search.py asserts it at two sizes)."
    )
    write_section(SECTION, "\n\n".join([header, *(p for p in parts.values() if p)]))


if __name__ == "__main__":
    main()
