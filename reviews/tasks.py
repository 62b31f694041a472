from celery import shared_task

# Each task imports its service on first run: a worker knows every task by name without
# loading NumPy, SciPy or WeasyPrint for the tasks it never runs.


@shared_task(ignore_result=True)
def send_review_reminders() -> int:
    from reviews.scoring.reminders import send_review_reminders as send

    return send()


@shared_task(ignore_result=True)
def refresh_expert_vectors(user_ids=None) -> int:
    """Experts' profile vectors (reviews/panels/expert_vectors.py); None: every expert."""
    from reviews.panels.expert_vectors import refresh_expert_vectors as refresh

    return refresh(user_ids)


@shared_task(ignore_result=True, acks_late=True)
def build_committee_bundle(bundle_id: int) -> None:
    """The committee's bundle: PDFs rendered and the ZIP stored (reviews/documents/)."""
    from reviews.documents.bundle_services import build_bundle

    build_bundle(bundle_id)


@shared_task(ignore_result=True)
def expire_committee_bundles() -> int:
    """Daily: the files of old committee bundles deleted (reviews/documents/bundle_services)."""
    from reviews.documents.bundle_services import expire_bundles

    return expire_bundles()
