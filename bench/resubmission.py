"""Repeated-submission detection (重复申报, issue 18): precision, recall and time per new case.

    .venv/bin/python bench/resubmission.py                                        # SQLite
    bash scripts/services.sh exec .venv/bin/python bench/resubmission.py --pg     # PostgreSQL

1. Tuning, texts only (no database): `--groups` groups of four texts from
   site_setup/case_writer.py — a case of year Y, its rewriting for Y + 1 (new title, 30% of the
   sentences edited or moved, new figures), and two unrelated cases on the same topic (one per
   year). The exact Jaccard similarity of every pair of a Y + 1 text with any other text, for
   shingles of 3, 4 and 5 characters and rewritings of 30%, 50% and 70% of the sentences:
   precision and recall at each threshold, the lowest positive and highest negative.
2. The chosen method through the database: a throwaway database (SQLite
   /tmp/bench-resubmission.sqlite3, recreated; or the PostgreSQL of scripts/services.sh),
   migrate, `setup_site --no-demo`, what `seed_demo --cases 0 --plant-resubmissions N` does
   (site_setup/planted_resubmissions.py: the same four kinds of cases as real rows, each Y + 1 case compared by
   `detect_resubmission` with LSH candidates)): precision and recall of the stored pairs.
3. Time per new case against an archive of `--archive` (50,000) cases: cases bulk-inserted in
   ten demo campaigns (texts from case_writer, ten topics), their signatures and band keys
   computed by `index_cases` (timed), then `--new` new cases (half rewritings of archived
   cases, half unrelated) each compared by `detect_resubmission` (timed, statements counted).

Replaces the SQLite or the PostgreSQL part of the `bench:resubmission` section of BENCHMARKS.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps and the standard library: the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402

SECTION = "resubmission"
SQLITE_DB = "/tmp/bench-resubmission.sqlite3"
TARGET_SECONDS = 1.0
TARGET_SHARE = 0.95
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def configure(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


# 1. Tuning on texts ----------------------------------------------------------------------------


def tuning(groups: int, seed: int) -> list[dict]:
    from case_text.resubmission.text import jaccard, shingles
    from site_setup.case_writer import TOPICS, rewrite, write_case

    topics = list(TOPICS)
    rows = []
    for share in (0.3, 0.5, 0.7):
        rng = random.Random(seed)
        old, new, truth = [], [], set()
        for i in range(groups):
            topic = topics[i % len(topics)]
            unit, other, third = f"甲{i}县", f"乙{i}县", f"丙{i}县"
            original = write_case(rng, topic, unit)
            old += [original, write_case(rng, topic, other)]
            new += [rewrite(rng, original, topic, unit, share=share), write_case(rng, topic, third)]
            truth.add((len(new) - 2, len(old) - 2))
        for k in (3, 4, 5):
            olds = [shingles(t, k) for t in old]
            news = [shingles(t, k) for t in new]
            scored = []  # (similarity, is the planted pair)
            for i, a in enumerate(news):
                for j, b in enumerate(olds):
                    scored.append((jaccard(a, b), (i, j) in truth))
                for j in range(i + 1, len(news)):  # the same year's cases too
                    scored.append((jaccard(a, news[j]), False))
            positives = [s for s, t in scored if t]
            negatives = [s for s, t in scored if not t]
            row = {
                "share": share,
                "k": k,
                "pairs": len(scored),
                "min_positive": min(positives),
                "max_negative": max(negatives),
                "p99_negative": sorted(negatives)[int(len(negatives) * 0.99)],
                "at": {},
            }
            for threshold in THRESHOLDS:
                found = [t for s, t in scored if s >= threshold]
                tp = sum(found)
                row["at"][threshold] = (
                    tp / len(found) if found else 1.0,
                    tp / len(positives),
                )
            rows.append(row)
    return rows


# 2. The planted set through the database --------------------------------------------------------


def planted(n: int, seed: int) -> dict:
    from case_text.models import ResemblancePair
    from case_text.resubmission import services
    from reform_cases.models import Campaign
    from site_setup.planted_resubmissions import plant_resubmissions, truth_from_records

    started = time.perf_counter()
    # What `seed_demo --cases 0 --plant-resubmissions N --seed S` does, called directly.
    plant_resubmissions(n=n, seed=seed, log=lambda line: None)
    seconds = time.perf_counter() - started
    later = Campaign.objects.filter(is_demo=True).latest("year")
    truth = truth_from_records(later)
    pairs = set(
        ResemblancePair.objects.filter(case__campaign=later).values_list(
            "case_id", "earlier_case_id"
        )
    )
    similarities = {
        (c, e): s
        for c, e, s in ResemblancePair.objects.filter(case__campaign=later).values_list(
            "case_id", "earlier_case_id", "similarity"
        )
    }
    tp = len(pairs & set(truth.items()))
    missed = [(c, e) for c, e in truth.items() if (c, e) not in pairs]
    false = sorted(similarities[p] for p in pairs - set(truth.items()))
    found_true = sorted(similarities[p] for p in pairs & set(truth.items()))
    return {
        "n": len(truth),
        "cases": later.cases.count()
        + Campaign.objects.filter(is_demo=True).earliest("year").cases.count(),
        "found": len(pairs),
        "tp": tp,
        "precision": tp / len(pairs) if pairs else 1.0,
        "recall": tp / len(truth) if truth else 0.0,
        "missed": len(missed),
        "false": false[-5:],
        "lowest_true": found_true[:3],
        "seconds": seconds,
        "threshold": services.THRESHOLD,
    }


# 3. Time per new case against the archive ------------------------------------------------------


def archive_timing(archive: int, new: int, seed: int, log) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from case_text.models import CaseSignature, SignatureBand
    from case_text.resubmission import services
    from reform_cases.models import CASE_SECTIONS, Campaign, CampaignStatus, Case, CaseStatus
    from site_setup.case_writer import TOPICS, retitle, rewrite, title_for, write_case

    rng = random.Random(seed)
    topics = list(TOPICS)
    now = timezone.now()
    per_year = archive // 10
    started = time.perf_counter()
    texts = []
    for y in range(10):
        campaign = Campaign.objects.create(
            year=2040 + y, is_demo=True, title=f"{2040 + y}年度(压测·存档)",
            status=CampaignStatus.PUBLISHED,
        )  # fmt: skip
        rows = []
        for i in range(per_year):
            topic = topics[(i + y) % len(topics)]
            unit = f"存档{y}-{i}县"
            sections = write_case(rng, topic, unit)
            title = f"{title_for(rng, topic, unit)}#{i}"
            texts.append((topic, unit, title, sections))
            rows.append(
                Case(
                    campaign=campaign, title=title, title_key=title, status=CaseStatus.ACCEPTED,
                    submitted_at=now - timedelta(days=365 * (10 - y)), **sections,
                )
            )  # fmt: skip
        with transaction.atomic():
            Case.objects.bulk_create(rows, batch_size=2000)
    inserted = time.perf_counter() - started
    log(f"archive: {archive} cases inserted ({inserted:.0f}s)")
    started = time.perf_counter()
    services.index_cases(chunk=2000)
    indexed = time.perf_counter() - started
    CaseSignature.objects.update(detected_at=now)
    bands = SignatureBand.objects.count()
    log(f"archive: signatures computed ({indexed:.0f}s), {bands} band rows")

    campaign = Campaign.objects.create(
        year=2050, is_demo=True, title="2050年度(压测·新申报)", status=CampaignStatus.CHECKING
    )
    new_rows, copied = [], set()
    for i in range(new):
        if i % 2 == 0:
            topic, unit, title, sections = rng.choice(texts)
            sections, title = rewrite(rng, sections, topic, unit), retitle(rng, title, topic, unit)
        else:
            topic, unit = rng.choice(topics), f"新{i}县"
            sections, title = write_case(rng, topic, unit), title_for(rng, topic, unit)
        new_rows.append(
            Case(campaign=campaign, title=f"{title}#{i}", title_key=f"{title}#{i}",
                 status=CaseStatus.SUBMITTED, submitted_at=now, **sections)
        )  # fmt: skip
    made = Case.objects.bulk_create(new_rows)
    if made and made[0].pk is None:
        made = list(Case.objects.filter(campaign=campaign).order_by("pk"))
    copied = {c.pk for i, c in enumerate(made) if i % 2 == 0}
    times, queries, candidates, checked, flagged = [], [], [], [], 0
    for case in made:
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            result = services.detect_resubmission(case_id=case.pk)
            times.append(time.perf_counter() - t0)
        queries.append(len(captured))
        candidates.append(result.candidates)
        checked.append(result.checked)
        flagged += case.pk in copied and result.pairs > 0
    times.sort()
    text_length = statistics.mean(
        sum(len(getattr(row, name)) for name in CASE_SECTIONS) for row in new_rows
    )
    return {
        "archive": Case.objects.exclude(campaign=campaign).count(),
        "inserted": inserted,
        "indexed": indexed,
        "bands": bands,
        "new": len(made),
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "queries": (min(queries), max(queries)),
        "candidates": (statistics.median(candidates), max(candidates)),
        "checked": (statistics.median(checked), max(checked)),
        "rewrites_flagged": (flagged, len(copied)),
        "text_length": text_length,
    }


# Report --------------------------------------------------------------------------------------


def report(backend: str, tuned, planted_result, timing, args) -> str:
    from case_text.resubmission import signatures
    from case_text.resubmission.passages import PASSAGE_RATIO
    from case_text.resubmission.text import SHINGLE_SIZE

    p = planted_result
    t = timing
    lines = [
        "## Repeated-submission detection (issue 18)",
        "",
        f"`.venv/bin/python bench/resubmission.py{' --pg' if backend == 'PostgreSQL' else ''}`, "
        f"run {time.strftime('%Y-%m-%d')} — {backend}. {machine_line()}",
        "",
        f"Method (case_text/resubmission/): title excluded; summary and sections normalised (NFKC, "
        f"lower case, punctuation and spaces removed, digit runs folded); shingles of "
        f"{SHINGLE_SIZE} characters; MinHash {signatures.NUM_PERM} permutations (datasketch, "
        f"seed {signatures.SEED}); LSH {signatures.BANDS} bands × {signatures.ROWS} rows stored "
        f"as indexed 64-bit keys; candidates within 0.15 of the threshold by estimate, then the "
        f"exact Jaccard similarity of the shingle sets; threshold {p['threshold']}; shared "
        f"passages: sentences with difflib ratio ≥ {PASSAGE_RATIO}.",
        "",
        f"### 1. Tuning on texts ({args.groups} groups: original, rewriting, two unrelated "
        "cases on the same topic; every pair of a year-Y+1 text with every other text)",
        "",
        "| rewritten | shingle | lowest positive | highest negative | 99th pct negative | "
        + " | ".join(f"P / R at {x}" for x in THRESHOLDS[2:7])
        + " |",
        "|---|---:|---:|---:|---:|" + "---:|" * 5,
    ]
    for row in tuned:
        cells = " | ".join(
            f"{row['at'][x][0]:.2f} / {row['at'][x][1]:.2f}" for x in THRESHOLDS[2:7]
        )
        lines.append(
            f"| {row['share']:.0%} | {row['k']} | {row['min_positive']:.3f} | "
            f"{row['max_negative']:.3f} | {row['p99_negative']:.3f} | {cells} |"
        )
    mine = {row["share"]: row for row in tuned if row["k"] == SHINGLE_SIZE}
    lines += [
        "",
        f"Why {SHINGLE_SIZE} characters and {p['threshold']}: with {SHINGLE_SIZE}-character "
        f"shingles no unrelated pair reaches {max(r['max_negative'] for r in mine.values()):.2f} "
        f"while the rewritings keep at least {mine[0.3]['min_positive']:.2f} (30% rewritten), "
        f"{mine[0.5]['min_positive']:.2f} (50%) and {mine[0.7]['min_positive']:.2f} (70%); "
        f"{p['threshold']} lies in that gap (nearer the rewritings of 70%, which are beyond the "
        "issue's 30%). Three-character shingles "
        "let unrelated cases on one topic come close through its stock phrases; five-character "
        "ones lose heavily rewritten cases first. At the threshold, 42 bands of 3 rows make a pair "
        "a candidate with probability 0.996.",
    ]
    lines += [
        "",
        f"### 2. The planted set through the database (`seed_demo --cases 0 --plant-resubmissions {args.planted}`)",
        "",
        "| measure | result |",
        "|---|---:|",
        f"| cases (two demo campaigns) | {p['cases']:,} |",
        f"| planted repeated submissions | {p['n']} |",
        f"| pairs stored | {p['found']} |",
        f"| **precision** (target ≥ {TARGET_SHARE}) | **{p['precision']:.3f}** |",
        f"| **recall** (target ≥ {TARGET_SHARE}) | **{p['recall']:.3f}** |",
        f"| lowest similarity of a planted pair | {', '.join(f'{s:.3f}' for s in p['lowest_true'])} |",
        f"| highest similarities of other pairs | {', '.join(f'{s:.3f}' for s in p['false']) or '—'} |",
        f"| seed_demo (insert, index, compare {2 * p['n']} cases) | {p['seconds']:.1f} s |",
        "",
        f"### 3. Time per new case against {t['archive']:,} archived cases",
        "",
        "| measure | result |",
        "|---|---:|",
        f"| archive inserted (bulk, ten demo campaigns, {t['text_length']:.0f} characters of text per case on average) | {t['inserted']:.0f} s |",
        f"| signatures of the archive (`index_cases`) | {t['indexed']:.0f} s ({t['bands']:,} band rows) |",
        f"| new cases compared (half rewritings of archived cases) | {t['new']} |",
        f"| **`detect_resubmission` per new case**: median / p95 / max (target < {TARGET_SECONDS:.0f} s) | "
        f"**{t['median'] * 1000:.0f} ms** / {t['p95'] * 1000:.0f} ms / {t['max'] * 1000:.0f} ms |",
        f"| SQL statements per case | {t['queries'][0]}–{t['queries'][1]} |",
        f"| LSH candidates per case: median / max | {t['candidates'][0]:.0f} / {t['candidates'][1]} |",
        f"| exact checks per case: median / max | {t['checked'][0]:.0f} / {t['checked'][1]} |",
        f"| rewritings flagged | {t['rewrites_flagged'][0]} / {t['rewrites_flagged'][1]} |",
        "",
        "The synthetic cases draw their sentences from small phrase pools, so unrelated cases "
        "share 20–35% of their shingles (real unrelated cases share far fewer): a large part of "
        "the archive shares a band with each new case, and reading those signatures is most of "
        "the time per case. The estimate then leaves a few cases for the exact check.",
    ]
    return "\n".join(lines)


def merge(backend: str, body: str) -> str:
    """Keep the other backend's part of the section."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = f"<!-- bench:{SECTION} -->", f"<!-- /bench:{SECTION} -->"
    parts = {}
    if start in text:
        inner = text.split(start, 1)[1].split(end, 1)[0]
        for name in ("SQLite", "PostgreSQL"):
            marker = f"<!-- {name} -->"
            if marker in inner:
                parts[name] = inner.split(marker, 1)[1].split("<!-- /", 1)[0].strip()
    parts[backend] = body
    blocks = []
    for name in ("SQLite", "PostgreSQL"):
        if name in parts:
            blocks.append(f"<!-- {name} -->\n{parts[name]}\n<!-- /{name} -->")
    return "\n\n".join(blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", action="store_true", help="the PostgreSQL of $DATABASE_URL")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--planted", type=int, default=200)
    parser.add_argument("--archive", type=int, default=50_000)
    parser.add_argument("--new", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.pg:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            sys.exit("--pg needs DATABASE_URL of a PostgreSQL (bash scripts/services.sh exec …)")
        backend = "PostgreSQL"
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(SQLITE_DB + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{SQLITE_DB}"
        backend = "SQLite"
    configure(url)
    from django.core.management import call_command

    log = print
    started = time.perf_counter()
    tuned = tuning(args.groups, args.seed)
    log(f"tuning done ({time.perf_counter() - started:.0f}s)")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)
    planted_result = planted(args.planted, args.seed)
    log(f"planted: P {planted_result['precision']:.3f} R {planted_result['recall']:.3f}")
    timing = archive_timing(args.archive, args.new, args.seed, log)
    body = report(backend, tuned, planted_result, timing, args)
    print(body)
    if not args.no_write:
        write_section(SECTION, merge(backend, body))


if __name__ == "__main__":
    main()
