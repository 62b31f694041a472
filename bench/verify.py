"""Verifying a published result at provincial scale: verify_results and verify_audit (issue 14).

Builds a throwaway SQLite database (never var/): migrate, `setup_site --no-demo`,
`seed_demo` with 5,000 cases × 300 experts × 5 reviews (25,000 reviews), makes that campaign
non-demo in this database only, and runs it through the lock, the notice and publication by
the services (publication freezes the results manifest). Then times, best of 3,
`verify_results` (recompute every tier from the stored raw scores and compare with the
published list and the manifest) against the target of 5 s, the standalone
`scripts/verify_manifest.py` on the downloaded manifest, and `verify_audit` (the whole chain).

    .venv/bin/python bench/verify.py [--cases 5000 --experts 300 --reviews 5]

Prints a table and replaces the `bench:verify` section of BENCHMARKS.md.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402

SECTION = "verify"
TARGET = 5.0
DB = "/tmp/bench-verify.sqlite3"


def best_of(n, fn):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--reviews", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    Path(DB).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-verify-media-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, User
    from reform_cases.models import Campaign, ResultsManifest
    from reform_cases.publication import services as publication_services
    from reviews.ranking import services as ranking_services

    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)
    admin = User.objects.create(username="bench-admin", role=Role.ADMINISTRATOR)
    year = 2093
    started = time.perf_counter()
    call_command(
        "seed_demo", "--cases", str(args.cases), "--experts", str(args.experts),
        "--reviews-per-case", str(args.reviews), "--seed", "5", "--year", str(year),
        stdout=io.StringIO(),
    )  # fmt: skip
    seeded = time.perf_counter() - started
    Campaign.objects.filter(year=year).update(is_demo=False)
    campaign = Campaign.objects.get(year=year)
    review_round = campaign.rounds.get()
    for entry in ranking_services.unresolved(review_round):
        ranking_services.override_tier(entry=entry, by=admin, tier=None, reason="边界并列")
    ranking_services.lock_ranking(review_round=review_round, by=admin)
    ranking_services.publish_notice_from_ranking(
        review_round=review_round, by=admin, ends_at=timezone.now() + timedelta(hours=1)
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    started = time.perf_counter()
    publication_services.publish_results(campaign=campaign, by=admin)
    published = time.perf_counter() - started
    manifest = ResultsManifest.objects.get(campaign=campaign)

    verify_results = best_of(
        3, lambda: call_command("verify_results", str(year), stdout=io.StringIO())
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(manifest.content)
    script = best_of(
        3,
        lambda: subprocess.run(
            [sys.executable, str(ROOT / "scripts/verify_manifest.py"), f.name, manifest.sha256],
            check=True,
            capture_output=True,
        ),
    )
    verify_audit = best_of(3, lambda: call_command("verify_audit", stdout=io.StringIO()))
    from audit.models import AuditRecord

    records = AuditRecord.objects.count()
    reviews = args.cases * args.reviews
    rows = [
        ("seed_demo (cases, experts, reviews, ranking, chain)", f"{seeded:.1f} s", ""),
        ("publish_results (notifications + manifest v1)", f"{published:.2f} s", ""),
        (
            f"verify_results, {args.cases:,} cases / {reviews:,} reviews",
            f"{verify_results:.2f} s",
            f"< {TARGET:.0f} s: {'met' if verify_results < TARGET else 'MISSED'}",
        ),
        ("scripts/verify_manifest.py on the manifest (new process)", f"{script:.2f} s", ""),
        (f"verify_audit, {records:,} chained records", f"{verify_audit:.2f} s", ""),
        ("manifest size", f"{len(manifest.content.encode()) / 1e6:.1f} MB", ""),
    ]
    table = "| what | time | target |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows
    )
    command = "`.venv/bin/python bench/verify.py`"
    body = (
        f"{command}, run {time.strftime('%Y-%m-%d', time.gmtime())} — SQLite, best of 3. "
        f"{machine_line()}\n\n{table}\n"
    )
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    Path(DB).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
