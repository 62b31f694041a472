"""/manage/campaigns/<id>/search/: the office's full-text search over a campaign's cases,
whatever their status (drafts aside), in every part of their text."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.permissions import administrator_required
from case_text.search import selectors
from case_text.search.forms import SearchForm
from case_text.views.public import PAGE_SIZE, querystring_without_page, shown_query
from reform_cases.models import Campaign


@administrator_required
@require_GET
def campaign_search(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = SearchForm(request.GET)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.campaign_search(form.cleaned_data["q"], campaign)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "office/case_search.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "shown_query": shown_query(request.GET),
            "querystring": querystring_without_page(request.GET),
        },
    )
