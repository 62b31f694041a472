"""/results/search/: full-text search over the public cases of every year."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from case_text.search import selectors
from case_text.search.forms import MAX_QUERY_CHARS, SearchForm

PAGE_SIZE = 20


def shown_query(params) -> str:
    """What the box shows again: the query as typed, without NUL, cut to the form's limit."""
    return params.get("q", "").replace("\x00", "")[:MAX_QUERY_CHARS]


def querystring_without_page(params) -> str:
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def search(request):
    form = SearchForm(request.GET)
    search_filter = selectors.public_filter(request.GET)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.public_search(form.cleaned_data["q"], search_filter)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "public/search.html",
        {
            "form": form,
            "filter": search_filter,
            "filter_invalid": search_filter.is_bound and not search_filter.is_valid(),
            "page": page,
            "shown_query": shown_query(request.GET),
            "querystring": querystring_without_page(request.GET),
            "page_title": _("案例检索"),
        },
    )
