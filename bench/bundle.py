"""The committee's bundle at provincial scale (issue 19): the worker's time and peak memory.

    .venv/bin/python bench/bundle.py            # SQLite, about 5 minutes

A throwaway SQLite database (/tmp/bench-bundle.sqlite3, recreated; never var/) and media
folder (/tmp/bench-bundle-media): migrate, `setup_site --no-demo`, `seed_demo --cases 5000
--experts 300 --reviews-per-case 5 --seed 1` (which computes the ranking); each of the 250
best-ranked cases gets its seeded attachment as a stored file of `--file-mb` MB of random
bytes (incompressible, like a real PDF's streams), so that the archive is larger than the
memory target. A `CommitteeBundle` of the top 250 is queued as the ranking page queues it
(the row `request_bundle` writes; the task is run by the next step).

Then, in a fresh process that imports what the Celery worker imports (Django set up,
`reviews.tasks`), the task `build_committee_bundle` runs once — the worker's code path,
without the broker: 250 申报书 rendered by WeasyPrint, the ranking table in XLSX and PDF, the
attachments streamed from the store, the ZIP written to a temporary file and saved to the
store. Its wall and CPU time and its peak resident memory (VmHWM, /proc/self/status) before
and after the build are reported, against the target of 200 MB; the archive is opened and
its members counted.

Replaces the `bench:bundle` section of BENCHMARKS.md (`--no-write` to print only).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps and the standard library: the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402

SECTION = "bundle"
SQLITE_DB = "/tmp/bench-bundle.sqlite3"
MEDIA = "/tmp/bench-bundle-media"
SEED = ["--cases", "5000", "--experts", "300", "--reviews-per-case", "5", "--seed", "1"]
TOP = 250
TARGET_MB = 200


def environment() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{SQLITE_DB}",
        "MEDIA_ROOT": MEDIA,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DEBUG": "false",
        "PYTHONPATH": str(ROOT),
    }


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def prepare(file_mb: float) -> dict:
    """In its own process: the seeded database, the stored files, the queued bundle."""
    import io
    import random

    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from accounts.models import Role, User
    from reform_cases.models import Attachment, Campaign
    from reviews.models import CommitteeBundle, ReviewRound
    from reviews.ranking.table import ranked_entries

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)
    call_command("seed_demo", *SEED, stdout=io.StringIO())
    seeded = time.perf_counter() - started
    campaign = Campaign.objects.filter(is_demo=True).latest("pk")
    review_round = ReviewRound.objects.select_related("campaign").get(campaign=campaign)
    top_cases = list(ranked_entries(review_round, top=TOP).values_list("case_id", flat=True))
    size = int(file_mb * 1024 * 1024)
    stored = 0
    for attachment in Attachment.objects.filter(case_id__in=top_cases).order_by("pk"):
        body = b"%PDF-1.4\n" + random.Random(attachment.pk).randbytes(size)
        name = default_storage.save(
            f"attachments/{campaign.pk}/{attachment.case_id}/{attachment.original_name}",
            ContentFile(body),
        )
        Attachment.objects.filter(pk=attachment.pk).update(file=name, size=len(body))
        stored += len(body)
    admin, _created = User.objects.get_or_create(
        username="bench-admin",
        defaults={"role": Role.ADMINISTRATOR, "display_name": "压测组织方"},
    )
    # The row request_bundle writes; not request_bundle itself, whose task would run eagerly
    # here (no broker in the test settings) instead of in the measured process.
    bundle = CommitteeBundle.objects.create(round=review_round, requested_by=admin, top=TOP)
    return {
        "bundle": bundle.pk,
        "seeded": seeded,
        "attachments": Attachment.objects.filter(case_id__in=top_cases).count(),
        "stored_mb": stored / 1024 / 1024,
        "cases": campaign.cases.count(),
    }


def build(bundle_id: int) -> dict:
    """In a fresh process, as the worker: set up, import the tasks, run the task once."""
    import django

    django.setup()
    from django.conf import settings

    import reviews.tasks  # what the worker imports (autodiscovery)
    from reviews.models import CommitteeBundle

    # The production default (the test settings draw in process): PDFs drawn in a child.
    settings.PDF_RENDER_PROCESS = True

    before_kb = status_kb("VmHWM")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    reviews.tasks.build_committee_bundle.run(bundle_id)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    bundle = CommitteeBundle.objects.get(pk=bundle_id)
    with bundle.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        members = archive.infolist()
    return {
        "status": bundle.status,
        "error": bundle.error,
        "seconds": seconds,
        "cpu": (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime),
        "start_mb": before_kb / 1024,
        "peak_mb": status_kb("VmHWM") / 1024,
        # The largest drawing child's peak (ru_maxrss of the children that ended, in KB).
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "size_mb": bundle.size / 1024 / 1024,
        "members": len(members),
        "pdfs": sum(1 for m in members if m.filename.endswith("/申报书.pdf")),
        "case_count": bundle.case_count,
    }


def child(*args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        env=environment(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(prepared: dict, built: dict, file_mb: float) -> str:
    # The worker and the child it draws in are both the worker's memory on its machine.
    together = built["peak_mb"] + built["child_peak_mb"]
    met = "yes" if together < TARGET_MB else f"**no** (together {together:.0f} MB)"
    return "\n".join(
        [
            "## The committee's bundle (issue 19)",
            "",
            f"`.venv/bin/python bench/bundle.py`, run {time.strftime('%Y-%m-%d', time.gmtime())} "
            f"— {SQLITE_DB} and {MEDIA} (recreated), settings `config.settings.test` with DEBUG "
            f"off; `seed_demo {' '.join(SEED)}` ({prepared['cases']:,} cases; seeding "
            f"{prepared['seeded']:.0f} s); the top {TOP} cases' {prepared['attachments']} "
            f"attachments stored as {file_mb:g} MB of random bytes each "
            f"({prepared['stored_mb']:.0f} MB). The task `build_committee_bundle` run once in a "
            "fresh process that has imported what the worker imports (`reviews/documents/"
            "bundle.py`: each member written into the ZIP in chunks, the ZIP in a temporary "
            f"file, then saved to the store). {machine_line()}",
            "",
            "The worker makes each document's HTML (it reads the database) and a spawned child "
            "process draws it (`common/pdf_process.py`, `PDF_RENDER_PROCESS`, on by default; "
            "the child imports WeasyPrint and nothing of Django, and is replaced every 25 "
            "drawings). Drawn in the worker itself, the same build peaked at 303 MB (553 MB "
            "before it collected after each render): a WeasyPrint render costs ≈ 60 MB and "
            "leaves its fonts (the CJK font's 16 MB) in reference cycles. The set-up figure is "
            "Django's start with every app (numpy, scipy, OR-Tools, scikit-learn).",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| cases in the bundle | {built['case_count']} ({built['pdfs']} 申报书 rendered) |",
            f"| members of the ZIP | {built['members']} |",
            f"| archive size | {built['size_mb']:.0f} MB |",
            f"| build time (wall) | {built['seconds']:.0f} s |",
            f"| build time (CPU) | {built['cpu']:.0f} s |",
            f"| per case (wall) | {built['seconds'] / max(1, built['case_count']):.2f} s |",
            f"| worker's resident memory after set-up (VmHWM) | {built['start_mb']:.0f} MB |",
            f"| worker's peak resident memory, whole build (VmHWM) | {built['peak_mb']:.0f} MB |",
            f"| the drawing child's peak resident memory (largest) | "
            f"{built['child_peak_mb']:.0f} MB |",
            f"| worker and drawing child together under {TARGET_MB} MB? | {met} |",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file-mb", type=float, default=1.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.file_mb)))
        return
    if args.build:
        print(json.dumps(build(args.build)))
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(SQLITE_DB + suffix).unlink(missing_ok=True)
    subprocess.run(["rm", "-rf", MEDIA], check=True)
    prepared = child("--prepare", "--file-mb", str(args.file_mb))
    built = child("--build", str(prepared["bundle"]))
    if built["status"] != "ready":
        sys.exit(f"The bundle failed: {built['error']}")
    body = report(prepared, built, args.file_mb)
    print(body)
    if not args.no_write:
        print(f"\nWritten to {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()
