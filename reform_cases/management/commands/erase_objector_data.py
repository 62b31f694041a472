"""Erase the objectors' personal data of objections answered more than N days ago."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reform_cases.models import Objection, ObjectionStatus
from reform_cases.publication.services import erase_objector_data


class Command(BaseCommand):
    help = (
        "Erase name, contact, address and file of objections answered more than --days days "
        "ago (default 365). Each erasure is recorded in the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = timezone.now() - timedelta(days=days)
        done = 0
        for objection in Objection.objects.exclude(status=ObjectionStatus.OPEN).filter(
            answered_at__lt=cutoff
        ):
            before = objection.name or objection.contact or objection.ip_address or objection.file
            erase_objector_data(objection=objection, by=None)
            done += bool(before)
        self.stdout.write(f"已清除 {done} 条异议的提出人信息。")
