"""Erase the personal data whose retention period is over (reform_cases/publication/retention.py).

The name is historical: it first erased objectors' data only. The daily Celery task
(`reform_cases.tasks.erase_expired_personal_data`) does the same with the setting's period.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reform_cases.publication.retention import erase_expired_personal_data, retention_cutoff


class Command(BaseCommand):
    help = (
        "Erase personal data older than --days days (default PERSONAL_DATA_RETENTION_DAYS): "
        "objectors' name, contact, address and file (objections answered, or campaigns "
        "published, that long ago); contact name and phone of the cases without an award of "
        "campaigns published that long ago; their download addresses; log-in records. What "
        "was erased is recorded in the audit chain; a second run erases nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention period in days (default: PERSONAL_DATA_RETENTION_DAYS).",
        )

    def handle(self, *args, days, **options):
        days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1")
        report = erase_expired_personal_data(cutoff=retention_cutoff(days, now=timezone.now()))
        self.stdout.write(
            f"已清除 {report.objections} 条异议的提出人信息、{report.cases} 个案例的联系人、"
            f"{report.download_addresses} 条下载记录的网络地址、{report.login_records} 条登录记录。"
        )
