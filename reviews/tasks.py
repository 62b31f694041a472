from celery import shared_task

from reviews.panels.expert_vectors import refresh_expert_vectors as refresh
from reviews.scoring.reminders import send_review_reminders as send


@shared_task(ignore_result=True)
def send_review_reminders() -> int:
    return send()


@shared_task(ignore_result=True)
def refresh_expert_vectors(user_ids=None) -> int:
    """Experts' profile vectors (reviews/panels/expert_vectors.py); None: every expert."""
    return refresh(user_ids)


@shared_task(ignore_result=True, acks_late=True)
def build_committee_bundle(bundle_id: int) -> None:
    """The committee's bundle: PDFs rendered and the ZIP stored (reviews/documents/)."""
    from reviews.documents.bundle_services import build_bundle

    build_bundle(bundle_id)
