"""Experts' profile vectors (`ExpertVector`): computed in Celery tasks, never by a page.

What a vector is made of is in reviews/assignment/matching.py. When it is recomputed:

* an expert's profile is saved (the office's form, the expert import): that expert, on commit;
* the text model is refitted (`case_text.signals.model_refitted`): every expert, since vectors
  of different versions are never compared;
* every night (`refresh-expert-vectors` in CELERY_BEAT_SCHEDULE): every expert whose inputs
  changed, which picks up the reviews submitted that day. A review's submission does not
  enqueue anything itself: the deadline brings hundreds of submissions an hour, and the next
  round's assignment is days away.

An expert whose inputs (model version, keywords, fields, reviewed cases' vectors) hash to the
stored `content_hash` is skipped, so the nightly run costs a few queries per hundred experts.
"""

import hashlib
import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from case_text.core.vectors import current_model, vectorize
from case_text.models import CaseVector
from reviews.assignment.matching import MAX_REVIEWED, combine
from reviews.models import ExpertProfile, ExpertVector, Review, ReviewStatus

logger = logging.getLogger(__name__)
# Experts per chunk: bounds the cases read at once (MAX_REVIEWED each) and the rows written.
CHUNK = 100
BROKER_RETRY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.3, "interval_max": 0.5}


def expertise_text(profile: ExpertProfile) -> str:
    """The declared expertise as one text: the keywords, then the names of the fields."""
    fields = "、".join(f.name for f in profile.fields.all())
    return "\n".join(part for part in (profile.expertise_keywords.strip(), fields) if part)


def refresh_expert_vectors(user_ids=None) -> int:
    """Recompute the vectors of these experts (all experts when None) whose inputs changed
    under the current text model; returns how many rows were written or removed."""
    model = current_model()
    if model is None:
        return 0  # nothing to compare with yet: the assignment uses the fields
    experts = User.objects.filter(role=Role.EXPERT)
    if user_ids is not None:
        experts = experts.filter(pk__in=list(user_ids))
    ids = list(experts.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _refresh_chunk(ids[start : start + CHUNK], model)
    return changed


@transaction.atomic
def _refresh_chunk(user_ids: list[int], model) -> int:
    profiles = {
        p.user_id: p
        for p in ExpertProfile.objects.filter(user_id__in=user_ids).prefetch_related("fields")
    }
    # The most recent submitted reviews of each expert, and their cases' current vectors.
    reviewed = defaultdict(list)
    rows = (
        Review.objects.filter(status=ReviewStatus.SUBMITTED, assignment__expert_id__in=user_ids)
        .order_by("-submitted_at", "-pk")
        .values_list("assignment__expert_id", "assignment__case_id")
    )
    for expert_id, case_id in rows:
        if len(reviewed[expert_id]) < MAX_REVIEWED:
            reviewed[expert_id].append(case_id)
    wanted = {case_id for cases in reviewed.values() for case_id in cases}
    reviewed_cases = Review.objects.filter(
        status=ReviewStatus.SUBMITTED, assignment__expert_id__in=user_ids
    ).values("assignment__case_id")
    case_vectors = {
        row.case_id: row
        for row in CaseVector.objects.filter(
            model_id=model.version, case_id__in=reviewed_cases
        ).only("case_id", "indices", "weights", "content_hash")
        if row.case_id in wanted
    }
    stored = {v.user_id: v for v in ExpertVector.objects.filter(user_id__in=user_ids)}
    now = timezone.now()
    write, remove = [], []
    for user_id in user_ids:
        profile = profiles.get(user_id)
        text = expertise_text(profile) if profile else ""
        vectors = [case_vectors[c] for c in sorted(reviewed[user_id]) if c in case_vectors]
        digest = _content_hash(model.version, text, vectors)
        current = stored.get(user_id)
        if current is not None and (current.model_id, current.content_hash) == (
            model.version,
            digest,
        ):
            continue
        keywords = vectorize([text], model)[0] if text else None
        vector = combine(keywords, [v.as_vector() for v in vectors])
        if not len(vector):
            if current is not None:
                remove.append(user_id)
            continue
        indices, weights = vector.to_bytes()
        write.append(
            ExpertVector(
                user_id=user_id,
                model_id=model.version,
                indices=indices,
                weights=weights,
                n_reviewed=len(vectors),
                content_hash=digest,
                computed_at=now,
            )
        )
    ExpertVector.objects.filter(user_id__in=remove).delete()
    ExpertVector.objects.bulk_create(
        write,
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["model", "indices", "weights", "n_reviewed", "content_hash", "computed_at"],
    )
    return len(write) + len(remove)


def _content_hash(version: int, text: str, vectors: list[CaseVector]) -> str:
    digest = hashlib.sha256(f"{version}\x1f{text}".encode())
    for row in vectors:
        digest.update(f"\x1f{row.case_id}:{row.content_hash}".encode())
    return digest.hexdigest()


def enqueue_expert_vectors(user_ids=None) -> None:
    """Hand the recomputation to a worker (in process on the embedded default). Call it on
    commit; a broker error is logged and the nightly run catches up."""
    from reviews.tasks import refresh_expert_vectors as task

    try:
        task.apply_async((None if user_ids is None else list(user_ids),), retry=True,
                         retry_policy=BROKER_RETRY)  # fmt: skip
    except Exception:  # the user's action has succeeded
        logger.exception("Could not enqueue the expert vectors of %s", user_ids or "every expert")


def refresh_on_commit(user_ids=None) -> None:
    ids = None if user_ids is None else list(user_ids)
    transaction.on_commit(lambda: enqueue_expert_vectors(ids))


def on_model_refitted(sender, version, **kwargs) -> None:
    """case_text.signals.model_refitted: every expert, under the new version."""
    refresh_on_commit(None)
