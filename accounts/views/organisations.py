"""The office's unit pages under /manage/organisations/: list, create, edit, delete."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Organisation, OrganisationKind
from accounts.organisations import rules, selectors, services
from accounts.organisations.forms import OrganisationForm
from accounts.permissions import administrator_required
from common.lists import join_list

PER_PAGE = 50


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal onto the form, by field where it names one: what was typed stays."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@administrator_required
def organisation_list(request):
    filters = {
        "query": request.GET.get("q", "").strip()[:100],
        "kind": request.GET.get("kind", "")
        if request.GET.get("kind") in OrganisationKind.values
        else "",
        "parent": request.GET.get("parent", "").strip()[:10],
    }
    units = selectors.organisations_for_listing(**filters)
    page = Paginator(units, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode(
        [
            (k, v)
            for k, v in (
                ("q", filters["query"]),
                ("kind", filters["kind"]),
                ("parent", filters["parent"]),
            )
            if v
        ]
    )
    return render(
        request,
        "office/organisation_list.html",
        {
            "page": page,
            "filters": filters,
            "kinds": OrganisationKind.choices,
            "parents": selectors.parents_for_filter(),
            "top_level": selectors.TOP_LEVEL,
            "querystring": query,
        },
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.create_organisation(
                by=request.user,
                name=data["name"],
                name_en=data["name_en"],
                kind=data["kind"],
                parent=data["parent"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已新建单位“%(name)s”。") % {"name": unit.name})
            return redirect("manage:organisation-detail", pk=unit.pk)
    return render(request, "office/form_page.html", {"form": form, "page_title": _("新建单位")})


@administrator_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request, pk):
    unit = get_object_or_404(Organisation.objects.select_related("parent"), pk=pk)
    form = OrganisationForm(request.POST or None, organisation=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        before = services.state_of(unit)
        try:
            updated = services.update_organisation(
                organisation=unit,
                by=request.user,
                name=data["name"],
                name_en=data["name_en"],
                kind=data["kind"],
                parent=data["parent"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if services.state_of(updated) != before:
                messages.success(request, _("单位信息已保存并记录。"))
            else:
                messages.info(request, _("没有改动。"))
            return redirect("manage:organisation-detail", pk=updated.pk)
    locked, campaigns = services.locked_attributes(unit)
    return render(
        request,
        "office/organisation_detail.html",
        {
            "unit": unit,
            "form": form,
            "public_campaigns": campaigns,
            "locked": join_list(
                Organisation._meta.get_field(k).verbose_name
                for k in services.EDITABLE
                if k in locked
            ),
            "history": selectors.organisation_history(unit),
            "can_delete": rules.can_delete_organisation.test(request.user, unit),
            "refusal": services.refusal_to_delete(unit),
            "children": unit.children.order_by("name")[:50],
        },
    )


@administrator_required
@require_POST
def organisation_delete(request, pk):
    unit = Organisation.objects.filter(pk=pk).first()
    if unit is None:  # deleted by the first of two clicks, or never there
        messages.info(request, _("该单位已不存在(可能已被删除)。"))
        return redirect("manage:organisations")
    name = unit.name
    try:
        services.delete_organisation(organisation=unit, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manage:organisation-detail", pk=pk)
    messages.success(request, _("已删除单位“%(name)s”,记录已保留。") % {"name": name})
    return redirect("manage:organisations")
