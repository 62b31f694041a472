"""Chain the audited rows and states that have no record yet (those written before the chain
existed). Run once after upgrading; running it again chains nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from audit import chain
from audit.models import AuditRecord


class Command(BaseCommand):
    help = "Chain audited rows and states written before the audit chain existed."

    @transaction.atomic
    def handle(self, *args, **options):
        total = 0
        for kind, tracked in chain.REGISTRY.tracked.items():
            chained = set(AuditRecord.objects.filter(kind=kind).values_list("object_id", flat=True))
            missing = [
                obj
                for obj in tracked.rows().order_by("pk")
                if str(obj.pk) not in chained and tracked.applies(obj)
            ]
            total += chain.append_many(kind=kind, objs=missing, content=tracked.content)
        self.stdout.write(f"已加入审计链:{total} 条记录。")
