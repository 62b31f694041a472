"""Index the archive for repeated-submission detection and compare what was never compared."""

import time

from django.core.management.base import BaseCommand

from case_text.models import CaseSignature, ResemblancePair
from case_text.resubmission import services


class Command(BaseCommand):
    help = (
        "Compute the MinHash signature of every case handed in whose text or the method changed "
        "(drafts aside), then compare with all the others each case whose current text was never "
        "compared (oldest first), storing the resembling pairs (重复申报) for the formal check. "
        "Run once after installing, and after changing the method; submissions are compared on "
        "their own. --force compares every case again; --index-only compares none."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="compare every case again")
        parser.add_argument("--index-only", action="store_true", help="signatures only")

    def handle(self, *args, force=False, index_only=False, **options):
        started = time.perf_counter()
        written = services.index_cases()
        self.stdout.write(f"签名:新算 {written} 个。")
        if index_only:
            return
        rows = CaseSignature.objects.order_by("case__campaign__year", "case__submitted_at", "pk")
        if not force:
            rows = rows.filter(detected_at__isnull=True)
        compared = 0
        for case_id in rows.values_list("pk", flat=True):
            compared += services.detect_resubmission(case_id=case_id, force=force).compared
        self.stdout.write(
            f"比对 {compared} 个案例;共有相似案例 {ResemblancePair.objects.count()} 对;"
            f"用时 {time.perf_counter() - started:.1f} 秒。"
        )
