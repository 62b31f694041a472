"""Public pages: no login, served from the results cache."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import exports, selectors
from .filters import ResultsFilter
from .models import Campaign
from .page_cache import cached_page


@require_GET
def home(request):
    def build():
        campaign = selectors.latest_public_campaign()
        return "public/home_body.html", {
            "campaign": campaign,
            "open_calls": list(selectors.open_calls()),
            "sections": selectors.home_overview(campaign),
            "page_title": _("改革创新实践案例评选"),
        }

    return cached_page(request, "home", build)


@require_GET
def campaign_list(request):
    def build():
        return "public/campaign_list_body.html", {
            "campaigns": list(selectors.public_campaigns()),
            "page_title": _("历年评选结果"),
        }

    return cached_page(request, "campaigns", build)


@require_GET
def results_year(request, year):
    query = ResultsFilter.canonical_query(request.GET)

    def build():
        campaign = get_object_or_404(Campaign.objects.public(), year=year)
        results_filter = ResultsFilter(
            request.GET or None, queryset=selectors.public_cases(campaign)
        )
        page = selectors.results_page(
            campaign,
            results_filter.qs,
            filtered=bool(request.GET.get("region") or request.GET.get("field")),
        )
        return "public/results_body.html", {
            "page": page,
            "filter": results_filter,
            "page_title": campaign.localised_title,
        }

    return cached_page(request, f"year:{year}", build, query=query)


@require_GET
def case_detail(request, pk):
    def build():
        case = get_object_or_404(selectors.public_cases(), pk=pk)
        return "public/case_body.html", {"case": case, "page_title": case.title}

    return cached_page(request, f"case:{pk}", build)


def _public_campaign(year):
    try:
        return Campaign.objects.public().get(year=year)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
def export_csv(request, year):
    campaign = _public_campaign(year)
    return exports.csv_response(campaign, selectors.public_cases(campaign))


@require_GET
def export_xlsx(request, year):
    campaign = _public_campaign(year)
    return exports.xlsx_response(campaign, selectors.public_cases(campaign))
