"""Writing the text model and the case vectors.

`vectorize_case` keeps one case's vector current: it runs after each submission (a Celery task,
enqueued when the submission commits; see receivers.py) and does nothing when the stored vector
was computed under the current model from the same text (`CaseVector.content_hash`). So running
it twice, or after a refit that already covered the case, changes nothing.

`refit_model` fits a new version on the whole corpus and swaps it in without a moment where the
selectors could see vectors of two versions, or a current model without its vectors:

1. segment and fit on every corpus case (one pass, no transaction: nothing is written yet);
2. store the model as version N+1, *not* current, and write its vectors in chunks of 500 (each
   chunk its own short transaction: SQLite writers and PostgreSQL's vacuum are not held up for
   the minutes a large refit takes). Readers keep reading version N meanwhile;
3. in one transaction, make N+1 the current version (unless a refit started later has already
   finished: then this one is dropped);
4. delete the older versions' vectors, and their models but the last few;
5. catch up with the cases whose text changed after step 1 read it (their vector of step 2 is
   stale; vectorize_case under N+1 fixes it, and a vectorize_case that ran under N during the
   refit wrote a vector of N, which step 4 removed).

Then `model_refitted` is sent, so that other apps (reviews' expert vectors) recompute theirs.
"""

import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from case_text.core.documents import CASE_TEXT_FIELDS, case_text_from_row
from case_text.core.vectors import current_model, fit, vectorize
from case_text.models import CaseVector, TextModel
from case_text.selectors import corpus_cases
from case_text.signals import model_refitted
from reform_cases.models import Case

logger = logging.getLogger(__name__)

CHUNK = 500
# Model rows kept after a refit (the current one and the ones before it): each holds its
# vocabulary (a few hundred KB); older ones are deleted with the vectors that pointed to them.
KEEP_MODELS = 3
# While the current model was fitted on fewer cases than this, a submission that finds the
# corpus twice as large as the model's refits it at once: a young archive's first cases would
# otherwise be compared through a vocabulary of a handful of texts until the weekly refit. The
# sizes double, so the refits cost O(this) in all; above it, the weekly refit alone.
EARLY_REFIT_LIMIT = 1000
VERSION_ATTEMPTS = 5  # refits racing for the next version number


@dataclass(frozen=True)
class RefitReport:
    version: int
    n_documents: int
    n_terms: int
    seconds: float
    current: bool  # False when a refit started later finished first and this one was dropped


def _needs_early_refit(n_documents: int) -> bool:
    if n_documents >= EARLY_REFIT_LIMIT:
        return False
    return corpus_cases().count() > 2 * n_documents


def vectorize_case(*, case_id: int) -> CaseVector | None:
    """Compute and store the case's vector under the current model, unless it is up to date.

    Fits the first model when there is none (and refits a young one that the corpus has
    outgrown, see EARLY_REFIT_LIMIT); the refit then covers this case. Returns the stored
    vector, or None when the case is gone or is not part of the corpus (a draft).
    """
    row = corpus_cases().filter(pk=case_id).values_list(*CASE_TEXT_FIELDS).first()
    if row is None:
        return None
    model = current_model()
    if model is None or _needs_early_refit(model.n_documents):
        refit_model(by=None)
        model = current_model()
        if model is None:  # pragma: no cover - a refit always leaves a current model
            return None
    text = case_text_from_row(row)
    stored = (
        CaseVector.objects.filter(case_id=case_id, model_id=model.version)
        .only("pk", "content_hash", "computed_at", "case_id", "model_id")
        .first()
    )
    if stored is not None and stored.content_hash == text.content_hash():
        return stored
    indices, weights = vectorize([text], model)[0].to_bytes()
    fields = {
        "indices": indices,
        "weights": weights,
        "content_hash": text.content_hash(),
        "computed_at": timezone.now(),
    }
    with transaction.atomic():
        # Two runs at once (a double enqueue): the unique (case, model) makes the second an
        # update of the same row.
        vector, _created = CaseVector.objects.update_or_create(
            case_id=case_id, model_id=model.version, defaults=fields
        )
    return vector


def _corpus_rows(ids: list, hashes: list):
    """The corpus as CaseTexts for the fit, recording each case's id and content hash."""
    rows = (
        corpus_cases().order_by("pk").values_list("pk", *CASE_TEXT_FIELDS).iterator(chunk_size=2000)
    )
    for pk, *fields in rows:
        text = case_text_from_row(fields)
        ids.append(pk)
        hashes.append(text.content_hash())
        yield text


def _new_model_row(fitted, *, n_documents: int, min_df: int, by) -> TextModel:
    """The fitted model stored under the next free version number, not current yet."""
    terms, idf = fitted.pack()
    attempt = 1
    while True:
        version = (TextModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return TextModel.objects.create(
                    version=version,
                    fitted_by=by,
                    n_documents=n_documents,
                    n_terms=len(fitted.terms),
                    min_df=min_df,
                    terms=terms,
                    idf=idf,
                    is_current=False,
                )
        except IntegrityError:  # another refit took this number meanwhile: take the next
            if attempt == VERSION_ATTEMPTS:
                raise
            attempt += 1


def _make_current(new: TextModel) -> bool:
    with transaction.atomic():
        current = TextModel.objects.select_for_update().filter(is_current=True).first()
        if current is not None and current.version > new.version:
            return False
        # Two statements, in this order: at no point are two rows current (the constraint).
        TextModel.objects.filter(is_current=True).update(is_current=False)
        TextModel.objects.filter(pk=new.pk).update(is_current=True)
    return True


def refit_model(*, by=None) -> RefitReport:
    """Fit a new model version on every corpus case and make it current with all its vectors.

    `by` is the user who asked (None for the weekly task). The steps and why they are safe
    while cases are submitted and read are in the module docstring.
    """
    started = time.perf_counter()
    read_at = timezone.now()
    ids: list[int] = []
    hashes: list[str] = []
    fitted = fit(_corpus_rows(ids, hashes), n_documents=corpus_cases().count())
    new = _new_model_row(fitted.model, n_documents=len(ids), min_df=fitted.min_df, by=by)
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        end = min(start + CHUNK, len(ids))
        # A case deleted since it was read gets no vector (its id would break the foreign key).
        alive = set(Case.objects.filter(pk__in=ids[start:end]).values_list("pk", flat=True))
        chunk = []
        for i in range(start, end):
            if ids[i] not in alive:
                continue
            indices, weights = fitted.vector(i).to_bytes()
            chunk.append(
                CaseVector(
                    case_id=ids[i],
                    model_id=new.version,
                    indices=indices,
                    weights=weights,
                    content_hash=hashes[i],
                    computed_at=now,
                )
            )
        with transaction.atomic():
            CaseVector.objects.bulk_create(chunk)
    n_terms = len(fitted.model.terms)
    del fitted
    if not _make_current(new):
        new.delete()  # its vectors with it (CASCADE)
        return RefitReport(new.version, len(ids), n_terms, _since(started), False)
    CaseVector.objects.filter(model_id__lt=new.version).delete()
    kept = TextModel.objects.order_by("-version").values_list("version", flat=True)[:KEEP_MODELS]
    TextModel.objects.filter(version__lt=min(kept)).delete()
    changed = corpus_cases().filter(updated_at__gte=read_at).values_list("pk", flat=True)
    for case_id in changed:
        vectorize_case(case_id=case_id)
    logger.info("text model v%s fitted on %s cases, %s terms", new.version, len(ids), n_terms)
    model_refitted.send(sender=TextModel, version=new.version)
    return RefitReport(new.version, len(ids), n_terms, _since(started), True)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
