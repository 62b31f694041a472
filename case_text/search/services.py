"""Writing the search index: one case when its text changes, the whole archive on demand.

A case's entry is written after a change that may alter its words (receivers.py enqueues
`tasks.index_case` on commit: a submission, a correction, an import, an edit in the admin);
`rebuild_index` (the `rebuild_search_index` command) writes every entry, in chunks. Both skip a
case whose text and dictionaries hash as when it was last indexed. No page segments anything:
the pages read the words written here. Drafts have no entry: nobody searches them.
"""

from django.db import transaction
from django.utils import timezone

from case_text.models import SearchEntry
from case_text.search.parts import TEXT_FIELDS, SearchText, search_text, source_hash
from case_text.search.terms import index_terms
from reform_cases.models import Case, CaseStatus

ENTRY_FIELDS = ("title_terms", "public_terms", "private_terms", "source_hash", "indexed_at")
CHUNK_SIZE = 500


def _entry(case_id: int, text: SearchText, digest: str) -> SearchEntry:
    return SearchEntry(
        case_id=case_id,
        title_terms=index_terms(text.title),
        public_terms=index_terms(text.public),
        private_terms=index_terms(text.private),
        source_hash=digest,
        indexed_at=timezone.now(),
    )


@transaction.atomic
def index_case(*, case_id: int) -> bool:
    """Write one case's entry; True when its words were (re)written.

    The case row is locked while its text is read and its words written, so that an edit
    committed meanwhile waits, and its own task then indexes the newer text: an older task can
    never overwrite newer words.
    """
    case = (
        Case.objects.select_for_update(of=("self",))
        .filter(pk=case_id)
        .only("status", *TEXT_FIELDS)
        .first()
    )
    if case is None:
        return False
    if case.status == CaseStatus.DRAFT:
        SearchEntry.objects.filter(case_id=case_id).delete()
        return False
    text = search_text(case)
    digest = source_hash(text)
    stored = SearchEntry.objects.filter(case_id=case_id).values_list("source_hash", flat=True)
    if digest in stored:
        return False
    entry = _entry(case_id, text, digest)
    SearchEntry.objects.update_or_create(
        case_id=case_id, defaults={name: getattr(entry, name) for name in ENTRY_FIELDS}
    )
    return True


def rebuild_index(*, force: bool = False, chunk_size: int = CHUNK_SIZE, progress=None) -> dict:
    """Index every case but drafts, `chunk_size` cases per transaction (in id order, so a
    rebuild interrupted and run again goes fast over what it already wrote).

    `force` segments every case again even when its hash is unchanged. Returns the counts
    {"written", "unchanged", "removed"}; `progress(done)` is called after each chunk.
    """
    counts = {"written": 0, "unchanged": 0, "removed": 0}
    last = 0
    while True:
        with transaction.atomic():
            cases = list(
                Case.objects.exclude(status=CaseStatus.DRAFT)
                .filter(pk__gt=last)
                .order_by("pk")
                .only(*TEXT_FIELDS)[:chunk_size]
            )
            if not cases:
                break
            stored = dict(
                SearchEntry.objects.filter(case_id__in=[c.pk for c in cases]).values_list(
                    "case_id", "source_hash"
                )
            )
            new, changed = [], []
            for case in cases:
                text = search_text(case)
                digest = source_hash(text)
                if not force and stored.get(case.pk) == digest:
                    counts["unchanged"] += 1
                    continue
                (changed if case.pk in stored else new).append(_entry(case.pk, text, digest))
            SearchEntry.objects.bulk_create(new, batch_size=100)
            SearchEntry.objects.bulk_update(changed, ENTRY_FIELDS, batch_size=100)
            counts["written"] += len(new) + len(changed)
        last = cases[-1].pk
        if progress is not None:
            progress(counts["written"] + counts["unchanged"])
    counts["removed"], _by_model = SearchEntry.objects.filter(
        case__status=CaseStatus.DRAFT
    ).delete()
    return counts
