"""Public pages, no login: results, cases, calls for entries, objections, statistics, open data.

Published results are served from the results cache (`publication.cache`)."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

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
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = item.file.name.rsplit(".", 1)[-1]
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{item.title}.{extension}",
        content_type=item.content_type,
    )


def _client_ip(request):
    # Behind the production proxy REMOTE_ADDR is the proxy; the proxy must pass the client address.
    forwarded = (
        request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.TRUST_X_FORWARDED_FOR else ""
    )
    return (
        forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    ) or None


@require_http_methods(["GET", "POST"])
def objection(request, year):
    campaign = get_object_or_404(
        Campaign.objects.filter(status=CampaignStatus.NOTICE, is_demo=False), year=year
    )
    cases = list(selectors.public_cases(campaign))
    initial_case = request.GET.get("case")
    form = ObjectionForm(
        request.POST or None, request.FILES or None, cases=cases, initial={"case": initial_case}
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
                ip=_client_ip(request),
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
