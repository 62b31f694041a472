"""Public pages, no login: results, cases, calls for entries, objections, statistics, open data.

Published results are served from the results cache (`publication.cache`)."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from common.client_address import client_address
from common.stored_files import file_download
from common.uploads import FileSizeLimit
from reform_cases.campaigns.markup import render_call
from reform_cases.models import (
    Campaign,
    CampaignFile,
    CampaignStatus,
    ResultsManifest,
)
from reform_cases.publication import exports, selectors
from reform_cases.publication import services as publication_services
from reform_cases.publication.cache import cached_page, get_page, page_key, set_page
from reform_cases.publication.filters import ResultsFilter
from reform_cases.publication.forms import ObjectionForm


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
def privacy(request):
    """The privacy notice: what is kept, why, who sees it, for how long (read from settings,
    so the page says what reform_cases/publication/retention.py does)."""
    return render(
        request,
        "public/privacy.html",
        {
            "page_title": _("个人信息保护说明"),
            "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
            "cooloff_minutes": round(settings.AXES_COOLOFF_TIME * 60),
            "objections_per_day": publication_services.OBJECTIONS_PER_IP_PER_DAY,
            "contact": settings.PRIVACY_CONTACT,
        },
    )


@require_GET
def campaign_list(request):
    def build():
        return "public/campaign_list_body.html", {
            "campaigns": list(selectors.public_campaigns()),
            "page_title": _("历年评选结果"),
        }

    return cached_page(request, "campaigns", build)


class InvalidFilter(Exception):
    """A filter value that is not the id of a region or field one may filter by."""


@require_GET
def results_year(request, year):
    """One campaign's results, filtered by region and field; each valid filter a cached page.

    A value that is not a known id is answered with the whole list and a notice, from
    the unfiltered page's cache: junk in the query string never becomes a cache entry.
    """
    query = ResultsFilter.canonical_query(request.GET)
    if query is None:
        return _results_with_invalid_filter(request, year)
    try:
        return cached_page(
            request, f"year:{year}", lambda: _results_body(year, request.GET), query=query
        )
    except InvalidFilter:
        return _results_with_invalid_filter(request, year)


def _results_body(year, params):
    campaign = get_object_or_404(Campaign.objects.public(), year=year)
    results_filter = ResultsFilter(params or None, queryset=selectors.public_cases(campaign))
    if params and not results_filter.is_valid():
        raise InvalidFilter
    page = selectors.results_page(
        campaign,
        results_filter.qs,
        filtered=bool(params.get("region") or params.get("field")),
    )
    return "public/results_body.html", {
        "page": page,
        "filter": results_filter,
        "page_title": campaign.localised_title,
    }


def _results_with_invalid_filter(request, year):
    messages.warning(request, _("筛选条件无效,已显示全部。"))
    return cached_page(
        request, f"year:{year}", lambda: _results_body(year, QueryDict()), shared=False
    )


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


def _open_call(year):
    return get_object_or_404(
        Campaign.objects.prefetch_related("files", "tiers"),
        year=year,
        is_demo=False,
        status=CampaignStatus.OPEN,
    )


@require_GET
def call_for_entries(request, year):
    campaign = _open_call(year)
    return render(
        request,
        "public/call.html",
        {
            "campaign": campaign,
            "call_html": render_call(campaign.call_for_entries),
            "tiers": sorted(campaign.tiers.all(), key=lambda t: t.order),
            "page_title": campaign.localised_title,
        },
    )


@require_GET
def call_file(request, year, file_pk):
    campaign = _open_call(year)
    item = get_object_or_404(CampaignFile, pk=file_pk, campaign=campaign)
    extension = item.file.name.rsplit(".", 1)[-1]
    return file_download(
        request,
        item.file,
        filename=f"{item.title}.{extension}",
        content_type=item.content_type,
        public=True,  # the same template for everyone, while the call is open
    )


@csrf_exempt  # checked by _objection, once the upload limit below is in place
@require_http_methods(["GET", "POST"])
def objection(request, year):
    # Anyone may post here: a file over the form's limit is skipped while the request is
    # read, before it is stored anywhere, and the form says why (common/uploads.py).
    upload_limit = FileSizeLimit(request, max_bytes=ObjectionForm.MAX_FILE_BYTES)
    request.upload_handlers.insert(0, upload_limit)
    return _objection(request, year, upload_limit)


@csrf_protect
def _objection(request, year, upload_limit):
    campaign = get_object_or_404(
        Campaign.objects.filter(status=CampaignStatus.NOTICE, is_demo=False), year=year
    )
    cases = list(selectors.public_cases(campaign))
    initial_case = request.GET.get("case")
    data = request.POST or None  # the body is read here, through upload_limit
    files = request.FILES or None
    form = ObjectionForm(
        data,
        files,
        cases=cases,
        initial={"case": initial_case},
        file_too_large=upload_limit.exceeded,
    )
    if request.method == "POST" and form.is_valid():
        case = next((c for c in cases if c.pk == form.cleaned_data["case"]), None)
        try:
            publication_services.submit_objection(
                campaign=campaign,
                case=case,
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                text=form.cleaned_data["text"],
                ip=client_address(request),
                upload=form.cleaned_data.get("file"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("异议已收到,组织方将在公示结束前书面答复。"))
            return redirect("results:year", year=year)
    return render(request, "public/objection.html", {"campaign": campaign, "form": form})


@require_GET
def statistics(request, year):
    def build():
        campaign = get_object_or_404(Campaign.objects.public(), year=year)
        return "public/stats_body.html", {
            "campaign": campaign,
            "stats": selectors.results_statistics(campaign),
            "page_title": _("%(title)s · 统计") % {"title": campaign.localised_title},
        }

    return cached_page(request, f"stats:{year}", build)


@require_GET
def open_data(request, year):
    key = page_key(f"json:{year}", "data")
    body = get_page(key)
    if body is None:
        campaign = get_object_or_404(Campaign.objects.public(), year=year)
        data = selectors.open_data(campaign, settings.SITE_URL.rstrip("/"))
        body = json.dumps(data, ensure_ascii=False, indent=1)
        set_page(key, body)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def results_manifest(request, year):
    """The frozen manifest of a published result: the latest version, or `?version=n`."""
    campaign = get_object_or_404(Campaign.objects.public(), year=year)
    versions = ResultsManifest.objects.filter(campaign=campaign)
    raw = request.GET.get("version", "")
    if raw:
        if not raw.isdigit() or len(raw) > 6:
            raise Http404
        manifest = versions.filter(version=int(raw)).first()
    else:
        manifest = versions.order_by("-version").first()
    if manifest is None:
        raise Http404
    response = HttpResponse(manifest.content, content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-SHA256"] = manifest.sha256
    response["Content-Disposition"] = (
        f'inline; filename="results-{campaign.year}-manifest-v{manifest.version}.json"'
    )
    return response
