"""The text model at provincial scale: segmentation, the TF-IDF fit and case vectors (issue 18).

    .venv/bin/python bench/text_model.py [--sizes 5000,50000 --chars 1500 --db-cases 5000 --seed 1]

Synthetic cases, deterministic from the seed: words drawn from jieba's own dictionary (2–4
characters; nouns, verbs, adjectives, idioms) by their dictionary frequency, 30% of them from
one of 60 topic vocabularies of 400 words, so that the archive has topics and a long tail like
real texts; a title (6 words), a summary (~10% of the text) and five sections, about `--chars`
characters a case in all.

1. The fit alone (`case_text/core/vectors.fit`), for each size in a fresh process: seconds
   (segmentation included: one pass over every text), peak resident memory of that process
   above what it held before the fit, terms kept, the stored model's size (zlib'd terms and
   idf, as in a TextModel row) and the stored vectors' size; then, under that model,
   vectorising one new case and a cosine scan of one case against every case.
2. Through the database (a throwaway SQLite file, /tmp/bench-text.sqlite3, recreated; never
   var/): migrate, `--db-cases` cases bulk-inserted, then `refit_model` timed with its
   statements counted, `vectorize_case` on an unchanged case and on an edited one.

Prints a table and replaces the `bench:text_model` section of BENCHMARKS.md (`--no-write`
to print only).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps and the standard library: the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.report import machine_line, write_section  # noqa: E402

SECTION = "text_model"
SQLITE_DB = "/tmp/bench-text.sqlite3"
TOPICS = 60
TOPIC_WORDS = 400
TOPIC_SHARE = 0.3
SECTIONS = 5
KEEP_TAGS = {"n", "v", "vn", "nz", "a", "an", "ns", "nt", "l", "i", "d"}


def dictionary_words():
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    words, freqs = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, tag = line.split()
        if 2 <= len(word) <= 4 and tag in KEEP_TAGS:
            words.append(word)
            freqs.append(int(freq))
    p = np.asarray(freqs, dtype=np.float64)
    return words, p / p.sum()


def synthetic_cases(n: int, *, chars: int, seed: int):
    """n (title, summary, section×5) tuples; a generator, as the database hands them over."""
    words, p = dictionary_words()
    cdf = np.cumsum(p)
    rng = np.random.default_rng(seed)
    topics = [rng.choice(len(words), TOPIC_WORDS, replace=False, p=p) for _ in range(TOPICS)]
    n_words = max(20, chars // 3)  # ≈3 characters per word with the punctuation

    def text(topic, count):
        general = np.minimum(np.searchsorted(cdf, rng.random(count)), len(words) - 1)
        own = topics[topic][rng.integers(0, TOPIC_WORDS, count)]
        picked = np.where(rng.random(count) < TOPIC_SHARE, own, general)
        sentences = [picked[i : i + 9] for i in range(0, count, 9)]
        return "。".join("，".join(words[j] for j in s) for s in sentences) + "。"

    for _i in range(n):
        topic = int(rng.integers(TOPICS))
        title = "".join(words[j] for j in topics[topic][rng.integers(0, TOPIC_WORDS, 6)])
        summary = text(topic, n_words // 10)
        body = [text(topic, (n_words - n_words // 10) // SECTIONS) for _s in range(SECTIONS)]
        yield (title, summary, *body)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_fit(n: int, *, chars: int, seed: int) -> dict:
    """Run in a fresh process (`--one N`): everything about one fit of n cases."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from case_text.core.documents import case_text_from_row
    from case_text.core.segmentation import tokenize
    from case_text.core.vectors import FittedModel, cosine, fit, vectorize

    tokenize("预热分词词典")  # jieba's dictionary (≈0.8 s) is not part of the fit
    total_chars = 0

    def documents():
        nonlocal total_chars
        for row in synthetic_cases(n, chars=chars, seed=seed):
            total_chars += sum(len(part) for part in row)
            yield case_text_from_row(row)

    before = current_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = fit(documents(), n_documents=n)
    vectors = [result.vector(i) for i in range(n)]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = peak_rss_mb() - before
    terms, idf = result.model.pack()
    stored = FittedModel.unpack(terms, idf)
    vector_bytes = sum(len(v) * 8 for v in vectors)
    new_case = case_text_from_row(next(synthetic_cases(1, chars=chars, seed=seed + 1)))
    t = time.perf_counter()
    (one,) = vectorize([new_case], stored)
    vectorize_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    best = max(cosine(one, v) for v in vectors)
    scan_ms = (time.perf_counter() - t) * 1000
    return {
        "n": n,
        "chars": total_chars / n,
        "seconds": seconds,
        "cpu": cpu,
        "chars_per_second": total_chars / cpu,
        "peak_mb": peak,
        "terms": len(result.model.terms),
        "min_df": result.min_df,
        "model_kb": (len(terms) + len(idf)) / 1024,
        "nnz": vector_bytes / 8 / n,
        "vectors_mb": vector_bytes / 1024 / 1024,
        "vectorize_ms": vectorize_ms,
        "scan_ms": scan_ms,
        "best_cosine": best,
    }


def measure_database(n: int, *, chars: int, seed: int) -> dict:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(SQLITE_DB + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from case_text.core.documents import CASE_TEXT_FIELDS
    from case_text.core.segmentation import tokenize
    from case_text.models import CaseVector
    from case_text.services import refit_model, vectorize_case
    from reform_cases.models import Campaign, CampaignStatus, Case, CaseStatus

    call_command("migrate", verbosity=0, interactive=False)
    tokenize("预热分词词典")
    campaign = Campaign.objects.create(
        year=2099,
        is_demo=True,
        title="文本模型压测(合成数据)",
        status=CampaignStatus.CHECKING,
        submission_opens_at=timezone.now(),
        submission_closes_at=timezone.now(),
    )
    rows = []
    for i, values in enumerate(synthetic_cases(n, chars=chars, seed=seed)):
        fields = dict(zip(CASE_TEXT_FIELDS, values, strict=True))
        fields["title"] = f"{fields['title'][:180]}{i}"
        rows.append(
            Case(campaign=campaign, title_key=fields["title"], status=CaseStatus.ACCEPTED, **fields)
        )
    Case.objects.bulk_create(rows, batch_size=500)
    cpu_started = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        report = refit_model(by=None)
    refit_cpu = time.process_time() - cpu_started
    case = Case.objects.order_by("pk").first()
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as unchanged:
        vectorize_case(case_id=case.pk)
    unchanged_ms = (time.perf_counter() - t) * 1000
    case.measures += "。新增一段做法说明,数据共享,一窗受理。"
    case.save()
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as changed:
        vectorize_case(case_id=case.pk)
    changed_ms = (time.perf_counter() - t) * 1000
    assert CaseVector.objects.filter(model_id=report.version).count() == n
    return {
        "n": n,
        "refit_seconds": report.seconds,
        "refit_cpu": refit_cpu,
        "refit_queries": len(queries),
        "terms": report.n_terms,
        "unchanged_ms": unchanged_ms,
        "unchanged_queries": len(unchanged),
        "changed_ms": changed_ms,
        "changed_queries": len(changed),
        "db_mb": Path(SQLITE_DB).stat().st_size / 1024 / 1024,
    }


def run_child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--chars", type=int, default=1500)
    parser.add_argument("--db-cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_fit(args.one, chars=args.chars, seed=args.seed)))
        return
    if args.database:
        print(json.dumps(measure_database(args.database, chars=args.chars, seed=args.seed)))
        return
    common = ["--chars", str(args.chars), "--seed", str(args.seed)]
    fits = []
    for n in (int(s) for s in args.sizes.split(",")):
        fits.append(run_child(["--one", str(n), *common]))
        print(fits[-1], flush=True)
    database = run_child(["--database", str(args.db_cases), *common]) if args.db_cases else None
    print(database, flush=True)

    import sklearn

    lines = [
        "## Text model (issue 18)",
        "",
        f"`.venv/bin/python bench/text_model.py --sizes {args.sizes} --chars {args.chars} "
        f"--db-cases {args.db_cases} --seed {args.seed}`, run {date.today().isoformat()} — "
        "synthetic cases from jieba's dictionary words (60 topics, a long tail), about "
        f"{args.chars:,} characters each; jieba 0.42.1 (HMM off, reform user dictionary), "
        f"scikit-learn {sklearn.__version__}, max_features 50,000. {machine_line()}",
        "",
        "The fit alone (`case_text/core/vectors.fit`, one fresh process per size; segmentation "
        "included, the dictionary's load not):",
        "",
        "| cases | characters/case | fit + vectors, wall (CPU) | chars/s of CPU | peak memory above start "
        "| terms (min_df) | stored model | vectors (non-zeros/case) | vectorise one case "
        "| cosine scan, one case × all |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in fits:
        lines.append(
            f"| {f['n']:,} | {f['chars']:,.0f} | {f['seconds']:,.1f} s ({f['cpu']:,.1f} s) | "
            f"{f['chars_per_second'] / 1e3:,.0f} k | {f['peak_mb']:,.0f} MB | "
            f"{f['terms']:,} ({f['min_df']}) | {f['model_kb']:,.0f} KB | "
            f"{f['vectors_mb']:,.1f} MB ({f['nnz']:,.0f}) | {f['vectorize_ms']:.1f} ms | "
            f"{f['scan_ms']:,.0f} ms |"
        )
    if database:
        d = database
        lines += [
            "",
            f"Through the database (SQLite, {d['n']:,} cases bulk-inserted): `refit_model` "
            f"{d['refit_seconds']:.1f} s ({d['refit_cpu']:.1f} s of CPU in the process) with "
            f"{d['refit_queries']} statements (fit, the model "
            f"row, vectors in chunks of 500, the switch, the clean-up), {d['terms']:,} terms; "
            f"`vectorize_case` on an unchanged case {d['unchanged_ms']:.1f} ms "
            f"({d['unchanged_queries']} queries, no write), on an edited case "
            f"{d['changed_ms']:.1f} ms ({d['changed_queries']} queries); database file "
            f"{d['db_mb']:,.0f} MB.",
        ]
    lines += [
        "",
        "Segmentation is nearly all of the fit's time (jieba's precise mode in pure Python); "
        "the weekly refit runs in a worker, never in a request. Wall times are on a machine "
        "shared with other programs; CPU times are this process's own.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        print(f"written to {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()
