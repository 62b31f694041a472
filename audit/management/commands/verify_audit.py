"""Walk the audit chain and compare what it covers with the database.

Exits 0 when every record is intact; otherwise prints each problem, the first one first
(the record edited, removed or inserted behind the application's back), and exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from audit import chain
from audit.models import AuditRecord, ChainHead


class Command(BaseCommand):
    help = "Check the audit chain (hashes, links, numbering) and every record it covers."

    def handle(self, *args, **options):
        problems = chain.verify()
        head = ChainHead.objects.filter(pk=1).first()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"审计链校验失败:{len(problems)} 处问题,第一处:{problems[0]}")
        count = AuditRecord.objects.count()
        last = head.hash if head else chain.GENESIS
        self.stdout.write(f"审计链完好:{count} 条记录,末端哈希 {last}")
