"""The search's reads: one page of results in relevance order, each with its highlighted
title and snippet, in a fixed number of queries whatever the archive's size.

`SearchResults` is what Django's Paginator needs (`count()` and a slice): the count is one
query, a page is two (the ids in order from the backend, then the cases with what a result
line shows). The snippet is cut from the case's own text in Python, around the first match.
"""

from django.db.models import QuerySet

from case_text.search.backends import backend_for
from case_text.search.forms import SearchFilter
from case_text.search.parts import Scope, search_text
from case_text.search.terms import highlight, snippet
from reform_cases.models import Case, CaseStatus


class SearchResults:
    def __init__(self, terms: list[str], scope: Scope, allowed: QuerySet[Case]):
        self.terms, self.scope, self.allowed = terms, scope, allowed
        self.backend = backend_for(allowed.db)
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.backend.count(self.terms, self.scope, self.allowed)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("SearchResults takes a slice")
        start = item.start or 0
        stop = self.count() if item.stop is None else item.stop
        if stop <= start:
            return []
        ids = self.backend.page(
            self.terms, self.scope, self.allowed, offset=start, limit=stop - start
        )
        cases = Case.objects.select_related(
            "campaign", "tier", "region", "field", "organisation"
        ).in_bulk(ids)
        found = [cases[pk] for pk in ids if pk in cases]
        for case in found:
            text = search_text(case)
            case.title_html = highlight(case.title, self.terms)
            case.snippet_html = snippet(text.body(self.scope), self.terms)
        return found


def public_filter(params) -> SearchFilter:
    """The page's filters (year, tier, region, field) over the public cases of every year."""
    return SearchFilter(params or None, queryset=Case.objects.public())


def public_search(terms: list[str], search_filter: SearchFilter) -> SearchResults:
    """Public cases, narrowed by `search_filter` when its values are valid (ignored when
    not: the page says so): the title and the public sections only."""
    allowed = search_filter.qs if search_filter.is_valid() else search_filter.queryset
    return SearchResults(terms, Scope.PUBLIC, allowed)


def campaign_search(terms: list[str], campaign) -> SearchResults:
    """Every case of a campaign the office lists (all but drafts), in every part of its text."""
    allowed = Case.objects.filter(campaign=campaign).exclude(status=CaseStatus.DRAFT)
    return SearchResults(terms, Scope.ALL, allowed)
