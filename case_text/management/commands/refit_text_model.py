"""Fit a new text model now (the weekly Celery task does the same)."""

from django.core.management.base import BaseCommand

from case_text.services import refit_model


class Command(BaseCommand):
    help = (
        "Fit a new version of the TF-IDF text model on every case handed in (submitted, "
        "returned, accepted, ineligible and historical cases), compute every case's vector "
        "under it and make it the current version once all vectors are stored. Readers see "
        "the previous version until then. Safe to run while cases are submitted."
    )

    def handle(self, *args, **options):
        report = refit_model(by=None)
        if not report.current:
            self.stdout.write(f"版本 {report.version} 已放弃:另一次更新的训练先完成了。")
            return
        self.stdout.write(
            f"文本模型版本 {report.version}:{report.n_documents} 个案例,"
            f"{report.n_terms} 个词,用时 {report.seconds:.1f} 秒。"
        )
