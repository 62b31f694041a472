"""A restore drill at provincial scale: back up a 5,000-case site, restore it into a fresh
database and media folder, and check it (issue 17).

    bash scripts/services.sh exec .venv/bin/python bench/restore.py

PostgreSQL only (the one scripts/services.sh starts; a second database `awards_restored` is
created on the same server for the restore). In a temporary media folder: migrate, `setup_site
--no-demo`, `seed_demo --cases 5000 --experts 300 --reviews-per-case 5 --seed 1` (one shared
sample attachment), then each case its own stored file (20 KB of random bytes, through the storage API) and the
campaign locked, put on notice and published by the services, so that `verify_results` has a
frozen manifest to check. Then, each a new process as an operator would run it: `manage.py
backup --output …tar.gz` and `manage.py restore` into the fresh database and another media
folder (refusal checks, archive check, pg_restore, files, row counts and hashes, verify_audit,
verify_results). Replaces the `bench:restore` section of BENCHMARKS.md (`--no-write` prints).
"""

import argparse
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps and the standard library: the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402

SECTION = "restore"
SEED = ["--cases", "5000", "--experts", "300", "--reviews-per-case", "5", "--seed", "1"]
YEAR = 2094
FILE_BYTES = 20 * 1024
RESTORED_DB = "awards_restored"
STEP = re.compile(r"^(.+?):([\d.]+) s$", re.M)


def seed(media: Path) -> dict:
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, User
    from reform_cases.models import Attachment, Campaign
    from reform_cases.publication import services as publication_services
    from reviews.ranking import services as ranking_services

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)
    call_command("seed_demo", *SEED, "--year", str(YEAR), stdout=io.StringIO())
    seeded = time.perf_counter() - started

    started = time.perf_counter()
    campaign = Campaign.objects.get(year=YEAR)
    for attachment in Attachment.objects.filter(case__campaign=campaign).order_by("pk"):
        # Incompressible like a real PDF's streams, so that gzip's share is not flattered.
        body = b"%PDF-1.4\n" + random.Random(attachment.case_id).randbytes(FILE_BYTES)
        name = default_storage.save(
            f"attachments/{campaign.pk}/{attachment.case_id}/申报书.pdf", ContentFile(body)
        )
        Attachment.objects.filter(pk=attachment.pk).update(file=name, size=len(body))
    files = time.perf_counter() - started

    started = time.perf_counter()
    admin = User.objects.create(username="bench-admin", role=Role.ADMINISTRATOR)
    Campaign.objects.filter(pk=campaign.pk).update(is_demo=False)
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
    campaign.refresh_from_db()
    publication_services.publish_results(campaign=campaign, by=admin)
    published = time.perf_counter() - started
    return {"seed": seeded, "files": files, "publish": published}


def create_database(name: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")


def manage(*arguments, env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{run.stdout}\n{run.stderr}")
    return seconds, run.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("run under scripts/services.sh exec: DATABASE_URL must be PostgreSQL")
    work = Path(tempfile.mkdtemp(prefix="bench-restore-"))
    try:
        source_media, target_media = work / "media", work / "media-restored"
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings.test", MEDIA_ROOT=str(source_media)
        )
        os.environ.pop("REDIS_URL", None)
        seeding = seed(source_media)
        from django.db import connection

        from common.backup.manifest import row_counts, stored_file_names

        rows, files = sum(row_counts().values()), len(stored_file_names())
        create_database(RESTORED_DB)
        connection.close()

        archive = work / "site.tar.gz"
        env = dict(os.environ)
        backup_seconds, _out = manage("backup", "--output", str(archive), env=env)
        archive_bytes = archive.stat().st_size
        target_url = url.rsplit("/", 1)[0] + f"/{RESTORED_DB}"
        env.update(DATABASE_URL=target_url, MEDIA_ROOT=str(target_media))
        manage("migrate", "--verbosity", "0", env=env)  # a migrated, empty site: the usual case
        restore_seconds, out = manage("restore", str(archive), env=env)
        steps = {name.strip(): float(s) for name, s in STEP.findall(out)}
        restored_files = sum(1 for p in target_media.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    check = steps["核对行数与文件哈希"] + steps["审计链与结果核验"]
    table = [
        ("seed_demo 5,000 cases × 300 experts × 5 reviews (+ migrate, setup_site)", f"{seeding['seed']:.1f} s"),
        (f"one 20 KB stored file per case, through the storage API ({files:,} files)", f"{seeding['files']:.1f} s"),
        ("lock, notice and publish_results (manifest v1)", f"{seeding['publish']:.1f} s"),
        ("**backup** (`manage.py backup`, new process: pg_dump, files, manifest, gzip)", f"**{backup_seconds:.1f} s**"),
        ("archive size (.tar.gz)", f"{archive_bytes / 1e6:.1f} MB"),
        ("**restore** (`manage.py restore`, new process, into a migrated empty database)", f"**{restore_seconds:.1f} s**"),
        ("… of which the archive checked against its manifest (every member's SHA-256)", f"{steps['归档核对']:.1f} s"),
        ("… pg_restore --single-transaction", f"{steps['数据库恢复']:.1f} s"),
        ("… files written back through the storage API", f"{steps['文件写回存储']:.1f} s"),
        ("… the check: row counts and file hashes", f"{steps['核对行数与文件哈希']:.1f} s"),
        ("… the check: verify_audit and verify_results", f"{steps['审计链与结果核验']:.1f} s"),
        ("rows (all models) / stored files, in the manifest and after restore", f"{rows:,} / {files:,} (restored folder: {restored_files:,})"),
    ]  # fmt: skip
    body = "\n".join(
        [
            "## Backup and restore drill",
            "",
            "`bash scripts/services.sh exec .venv/bin/python bench/restore.py`, run "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC — PostgreSQL of "
            "scripts/services.sh, `config.settings.test`, local media folders; the restore "
            f"goes into a second database on the same server and an empty media folder. "
            f"The check (counts, hashes, chain, results) took {check:.1f} s. {machine_line()}",
            "",
            "| step | result |",
            "|---|---:|",
            *(f"| {a} | {b} |" for a, b in table),
        ]
    )
    print(body)
    if not args.no_write:
        print(f"written to {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()
