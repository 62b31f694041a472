"""Asking for the committee's bundle, and building it (the Celery task's body).

`request_bundle` records the request (a `CommitteeBundle` in `queued` and a round event) in
the administrator's transaction and enqueues the build after it commits. `build_bundle`
runs in the worker: it claims the row (`queued` → `building`, committed at once, so a
redelivered task does not build twice), writes the ZIP to a temporary file outside any
transaction (minutes of PDF rendering hold no lock), then stores it under
`bundles/<round>/` and marks the row `ready` — or `failed` with the error — and notifies the
administrator who asked, in one transaction each. An attachment missing from the store does
not fail the bundle: it is noted in the bundle and on the row (`missing_files`).

Bundles are derived papers, rebuilt at will: `expire_bundles` (daily, and for a round when a
new bundle of it is ready) deletes the files of ready bundles older than
`COMMITTEE_BUNDLE_KEEP_DAYS` and of all but the newest `BUNDLES_KEPT_PER_ROUND` of a round;
the rows stay (who asked for what, when), marked expired.

Delivery is at least once (acks late): a claim older than `BUILD_TIMEOUT` (a worker that
died) is taken over by the next delivery.
"""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import InvalidTransition
from common.links import absolute_url
from common.transactional_files import save_file
from notifications.models import NotificationKind
from notifications.services import notify
from reviews.documents.bundle import write_bundle
from reviews.models import (
    BundleStatus,
    CommitteeBundle,
    RankingEntry,
    ReviewRound,
    RoundEvent,
    RoundEventKind,
)

logger = logging.getLogger(__name__)

BUILD_TIMEOUT = timedelta(hours=2)
ERROR_CHARS = 2000
IN_PROGRESS = (BundleStatus.QUEUED, BundleStatus.BUILDING)
BUNDLES_KEPT_PER_ROUND = 3


def building_now() -> bool:
    """Whether a documents worker is building a bundle now (a claim younger than the
    timeout): bundles queued behind it are waiting their turn."""
    return CommitteeBundle.objects.filter(
        status=BundleStatus.BUILDING, started_at__gt=timezone.now() - BUILD_TIMEOUT
    ).exists()


def bundle_filename(bundle: CommitteeBundle) -> str:
    """终评材料包-<year>-<round>[-前N名].zip: the name of the download."""
    review_round = bundle.round
    top = _("-前%(n)d名") % {"n": bundle.top} if bundle.top else ""
    return f"{_('终评材料包')}-{review_round.campaign.year}-{review_round.name}{top}.zip"


@transaction.atomic
def request_bundle(*, review_round: ReviewRound, by, top: int | None = None) -> CommitteeBundle:
    """Queue a bundle of the round's first `top` cases in ranking order (None: all)."""
    if not by.is_administrator:
        raise PermissionDenied
    if top is not None and top < 1:
        raise ValidationError({"top": _("前 N 名须为正整数。")})
    # The round row serialises two requests of the same round (a double click).
    review_round = ReviewRound.objects.select_for_update().get(pk=review_round.pk)
    if not RankingEntry.objects.filter(round=review_round).exists():
        raise InvalidTransition(_("请先计算排名,再生成终评材料包。"))
    stale = timezone.now() - BUILD_TIMEOUT
    if (
        CommitteeBundle.objects.filter(round=review_round, status__in=IN_PROGRESS)
        .filter(created_at__gt=stale)
        .exists()
    ):
        raise InvalidTransition(_("本轮已有一个材料包正在生成,请等它完成。"))
    bundle = CommitteeBundle.objects.create(round=review_round, requested_by=by, top=top)
    RoundEvent.objects.create(
        round=review_round,
        actor=by,
        kind=RoundEventKind.BUNDLE_REQUESTED,
        note=_("前 %(n)d 名") % {"n": top} if top else _("全部案例"),
    )
    transaction.on_commit(lambda: _enqueue(bundle.pk))
    return bundle


def _enqueue(bundle_id: int) -> None:
    from reviews.tasks import build_committee_bundle  # the task module imports this one

    build_committee_bundle.delay(bundle_id)


@transaction.atomic
def _claim(bundle_id: int) -> CommitteeBundle | None:
    bundle = (
        CommitteeBundle.objects.select_for_update()
        .select_related("round__campaign")
        .filter(pk=bundle_id)
        .first()
    )
    if bundle is None:
        return None
    taken_over = (
        bundle.status == BundleStatus.BUILDING
        and bundle.started_at is not None
        and bundle.started_at < timezone.now() - BUILD_TIMEOUT
    )
    if bundle.status != BundleStatus.QUEUED and not taken_over:
        return None  # built, failed, or being built by another delivery of the task
    bundle.status = BundleStatus.BUILDING
    bundle.started_at = timezone.now()
    bundle.save(update_fields=["status", "started_at"])
    return bundle


def _link(bundle: CommitteeBundle) -> str:
    return absolute_url(reverse("manage:ranking", kwargs={"pk": bundle.round_id})) + "#bundles"


@transaction.atomic
def _finish(bundle, *, status, error: str = "", handle=None, size=None, result=None):
    bundle = (
        CommitteeBundle.objects.select_for_update()
        .select_related("round__campaign")
        .get(pk=bundle.pk)
    )
    fields = ["status", "finished_at", "error"]
    if handle is not None:
        save_file(bundle.file, bundle_filename(bundle), File(handle))
        bundle.size = size
        bundle.case_count = result.case_count
        bundle.missing_files = result.missing
        fields += ["file", "size", "case_count", "missing_files"]
    bundle.status = status
    bundle.finished_at = timezone.now()
    bundle.error = error[:ERROR_CHARS]
    bundle.save(update_fields=fields)
    if status == BundleStatus.READY:
        expire_bundles(review_round=bundle.round)
    if bundle.requested_by_id:
        notify(
            [bundle.requested_by],
            kind=NotificationKind.COMMITTEE_BUNDLE,
            obj=bundle,
            context={
                "bundle": bundle,
                "round": bundle.round,
                "ready": status == BundleStatus.READY,
                "missing": len(bundle.missing_files),
            },
            link=_link(bundle),
        )
    return bundle


def build_bundle(bundle_id: int) -> CommitteeBundle | None:
    """Build a queued bundle; None when there is nothing to do (see the module docstring)."""
    bundle = _claim(bundle_id)
    if bundle is None:
        return None
    try:
        with tempfile.TemporaryFile() as handle:
            result = write_bundle(handle, bundle.round, top=bundle.top)
            size = handle.tell()
            handle.seek(0)
            return _finish(
                bundle, status=BundleStatus.READY, handle=handle, size=size, result=result
            )
    except Exception as exc:
        logger.exception("Committee bundle %s failed", bundle_id)
        return _finish(bundle, status=BundleStatus.FAILED, error=f"{type(exc).__name__}: {exc}")


def expire_bundles(*, review_round: ReviewRound | None = None, now=None) -> int:
    """Delete the files of ready bundles past their time (see the module docstring); the
    number expired. Rows are taken with `skip_locked`, so two runs at once expire each once;
    the files are deleted after the rows commit (a rollback leaves both)."""
    now = now or timezone.now()
    ready = CommitteeBundle.objects.filter(status=BundleStatus.READY)
    if review_round is not None:
        ready = ready.filter(round=review_round)
    too_old = ready.filter(
        finished_at__lt=now - timedelta(days=settings.COMMITTEE_BUNDLE_KEEP_DAYS)
    )
    expired_ids = set(too_old.values_list("pk", flat=True))
    rounds = ready.values_list("round_id", flat=True).distinct()
    for round_id in rounds:
        newest_first = ready.filter(round_id=round_id).order_by("-finished_at", "-pk")
        expired_ids |= set(newest_first.values_list("pk", flat=True)[BUNDLES_KEPT_PER_ROUND:])
    if not expired_ids:
        return 0
    with transaction.atomic():
        rows = list(
            CommitteeBundle.objects.select_for_update(skip_locked=True).filter(
                pk__in=expired_ids, status=BundleStatus.READY
            )
        )
        names = [row.file.name for row in rows if row.file]
        CommitteeBundle.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=BundleStatus.EXPIRED, expired_at=now, file=""
        )
        storage = CommitteeBundle._meta.get_field("file").storage
        transaction.on_commit(lambda: _delete_files(storage, names))
    return len(rows)


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the row is expired either way; an orphan is logged, not raised
            logger.exception("Could not delete the expired bundle file %s", name)
