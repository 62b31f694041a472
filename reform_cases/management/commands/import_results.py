from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reform_cases.publication import results_import as publication_results_import
from reform_cases.publication.results_import import ImportFileError, plan_import, read_rows


class Command(BaseCommand):
    help = (
        "Import published results from CSV or XLSX (columns year,tier,title,units,region,"
        "field,evidence). All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check and show, change nothing")

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在:{path}")
        try:
            rows = read_rows(path.read_bytes(), path.name)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            plan = plan_import(rows)
            if not plan.ok:
                for error in plan.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{len(plan.errors)} 个错误,未导入任何数据。")
            for row in plan.rows:
                if row.action == "update":
                    changes = "; ".join(f"{n}: {o or '—'} → {v or '—'}" for n, o, v in row.changes)
                    self.stdout.write(f"第 {row.line} 行 更正 {row.title}: {changes}")
                elif row.action == "create":
                    self.stdout.write(f"第 {row.line} 行 新增 {row.title}({row.award})")
            if dry_run:
                self.stdout.write("--dry-run: 未做任何更改。")
                return
            counts = publication_results_import.apply_import(plan=plan, by=None, source=path.name)
        self.stdout.write(
            self.style.SUCCESS(
                f"新增 {counts['create']},更正 {counts['update']},未变 {counts['unchanged']}。"
            )
        )
