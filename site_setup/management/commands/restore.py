"""Restore an archive of `backup` into an empty site, then prove it: row counts, file hashes,
the audit chain and every published result (verify_audit, verify_results)."""

import contextlib
import io
import time
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from common.backup.archive import (
    check_restored,
    clashing_names,
    open_archive,
    restore_database,
    restore_files,
    verify_members,
)
from common.backup.database import BackupError
from common.backup.manifest import FILLED_BY_MIGRATE, populated_models
from reform_cases.models import ResultsManifest

SHOWN = 5  # problems listed by name before "…"


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an EMPTY site and check it against its manifest. Empty "
        "means: no table, or no row in any model's table apart from those migrate fills "
        f"({', '.join(sorted(FILLED_BY_MIGRATE))}); and the storage holds none of the "
        "archive's file names (unless --force-files). Exits non-zero, changing nothing, when "
        "the archive is unreadable, foreign or tampered with; non-zero after restoring when a "
        "row count, a file's SHA-256, the audit chain or a published result does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar or .tar.gz written by backup")
        parser.add_argument(
            "--force-files",
            action="store_true",
            help="overwrite files of the same names already in the storage",
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="folder of pg_restore (default: the server's major version, on PATH or in "
            "/usr/lib/postgresql/<major>/bin)",
        )

    def handle(self, *args, archive, force_files, pg_bin, **options):
        try:
            with open_archive(archive) as opened:
                self._refuse_unless_empty(opened, force_files=force_files)
                with self._step("归档核对"):
                    problems = verify_members(opened)
                if problems:
                    self._fail("归档与其清单不符,未做任何改动", problems)
                with self._step("数据库恢复"):
                    restore_database(opened, pg_bin=pg_bin)
                with self._step("文件写回存储"):
                    restore_files(opened, force=force_files)
                manifest = opened.manifest
        except BackupError as exc:
            raise CommandError(f"恢复失败:{exc}") from exc
        # Whatever was cached was read from the database now replaced (results pages, rubric,
        # unread counts, sessions); the outbox is in the database, so a queued poke lost with
        # a shared Redis is sent again by resend_pending.
        cache.clear()
        ContentType.objects.clear_cache()  # ids cached in process may differ in the archive
        with self._step("核对行数与文件哈希"):
            problems = check_restored(manifest)
        with self._step("审计链与结果核验"):
            problems += self._verify_records()
        missing = manifest.get("missing_files") or []
        summary = (
            f"{sum(manifest['row_counts'].values()):,} 行 / {len(manifest['row_counts'])} 个模型,"
            f"{len(manifest['files'])} 个文件(备份时缺失 {len(missing)} 个),"
            f"备份于 {manifest['created']}"
        )
        if problems:
            self._fail(f"恢复后的核对未通过({summary})", problems)
        self.stdout.write(self.style.SUCCESS(f"恢复完成,核对通过:{summary}"))

    @contextlib.contextmanager
    def _step(self, name: str):
        started = time.perf_counter()
        yield
        self.stdout.write(f"{name}:{time.perf_counter() - started:.2f} s")

    def _refuse_unless_empty(self, opened, *, force_files: bool):
        populated = populated_models()
        if populated:
            raise CommandError(
                "目标数据库不是空的,拒绝恢复(未做任何改动):"
                + "、".join(populated[:SHOWN])
                + (" 等" if len(populated) > SHOWN else "")
                + " 中已有数据"
            )
        if not force_files:
            clashes = clashing_names(opened)
            if clashes:
                raise CommandError(
                    f"存储中已有归档里的 {len(clashes)} 个文件,拒绝恢复(未做任何改动;"
                    f"覆盖请加 --force-files),如:{clashes[0]}"
                )

    def _verify_records(self) -> list[str]:
        """The audit chain, then every campaign with a frozen results manifest."""
        checks = [("verify_audit",)]
        campaign_ids = (
            ResultsManifest.objects.order_by("campaign_id")
            .values_list("campaign_id", flat=True)
            .distinct()
        )
        checks += [("verify_results", str(pk), "--id") for pk in campaign_ids]
        problems = []
        for check in checks:
            out, err = io.StringIO(), io.StringIO()
            try:
                call_command(*check, stdout=out, stderr=err)
            except CommandError as exc:
                problems.append(f"{' '.join(check)}:{exc}")
                problems += err.getvalue().splitlines()[:SHOWN]
            else:
                self.stdout.write(out.getvalue().strip())
        return problems

    def _fail(self, headline: str, problems: list[str]):
        for problem in problems:
            self.stderr.write(problem)
        raise CommandError(f"{headline}:{len(problems)} 处,第一处:{problems[0]}")
