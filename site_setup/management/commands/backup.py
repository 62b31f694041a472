"""Write one archive holding the database, every stored file and a manifest (common/backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common.backup.archive import write_backup
from common.backup.database import BackupError


class Command(BaseCommand):
    help = (
        "Back up the site into one .tar (gzip when the name ends in .gz/.tgz): the database "
        "(pg_dump --format=custom, or SQLite's backup API), every file a FileField row points "
        "at (read through the default storage) and manifest.json (row counts per model, each "
        "file's size and SHA-256). Files referenced but missing are listed, not fatal unless "
        "--strict."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            default=None,
            help="archive to write (default: backup-<UTC time>.tar.gz in the current folder)",
        )
        parser.add_argument(
            "--strict", action="store_true", help="fail when a referenced file is missing"
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="folder of pg_dump (default: the server's major version, on PATH or in "
            "/usr/lib/postgresql/<major>/bin)",
        )

    def handle(self, *args, output, strict, pg_bin, **options):
        if output is None:
            output = Path(f"backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        if output.exists():
            raise CommandError(f"{output} 已存在,不会覆盖")
        if not output.parent.is_dir():
            raise CommandError(f"目录不存在:{output.parent}")
        try:
            result = write_backup(output, strict=strict, pg_bin=pg_bin, log=self._log)
        except BackupError as exc:
            raise CommandError(f"备份失败:{exc}") from exc
        manifest = result.manifest
        self.stdout.write(
            f"备份完成:{result.path}({result.path.stat().st_size:,} 字节),"
            f"{sum(manifest['row_counts'].values()):,} 行 / {len(manifest['row_counts'])} 个模型,"
            f"{len(manifest['files'])} 个文件,缺失 {len(result.missing)} 个"
        )

    def _log(self, line: str):
        (self.stderr if line.startswith("警告") else self.stdout).write(line)
