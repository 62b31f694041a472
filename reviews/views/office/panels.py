"""The organising office's expert pages: the expert list, profiles, expert import, panels."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import administrator_required
from common import import_session
from reform_cases.models import Campaign
from reviews.models import ExpertProfile, Panel
from reviews.panels import rules as panel_rules
from reviews.panels import selectors as panels_selectors
from reviews.panels import services as panel_services
from reviews.panels.expert_import import apply_expert_import, plan_expert_import, read_expert_rows
from reviews.panels.forms import ExpertImportForm, ExpertProfileForm, PanelForm

IMPORT_SESSION_KEY = "expert_import"


@administrator_required
@require_GET
def expert_list(request):
    # What the account knows (e-mail, phone, organisation) is shown until a profile is saved.
    experts = panels_selectors.experts_for_listing().select_related("organisation")
    return render(
        request,
        "office/experts.html",
        {"experts": experts, "default_max_cases": ExpertProfile.DEFAULT_MAX_CASES},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def expert_edit(request, pk):
    user = get_object_or_404(User, pk=pk, role=Role.EXPERT)
    # A GET changes nothing: a missing profile is created only when the form is saved.
    profile = ExpertProfile.objects.filter(user=user).first() or ExpertProfile(
        user=user,
        affiliation=user.organisation,  # what the account already says
    )
    form = ExpertProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        panel_services.save_expert_profile(form=form, by=request.user)
        messages.success(request, _("专家信息已保存。"))
        return redirect("manage:experts")
    return render(
        request,
        "office/form_page.html",
        {
            "form": form,
            "page_title": _("专家信息:%(name)s") % {"name": user},
            "privacy_note": True,
        },
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def expert_import(request):
    return import_session.upload_step(
        request,
        ExpertImportForm(request.POST or None, request.FILES or None),
        key=IMPORT_SESSION_KEY,
        read=read_expert_rows,
        preview=_import_preview,
        template="office/form_page.html",
        context={"page_title": _("导入专家"), "privacy_note": True},
    )


def _import_preview(request, rows, filename, token):
    return render(
        request,
        "office/expert_import_preview.html",
        {"plan": plan_expert_import(rows), "token": token, "filename": filename},
    )


@administrator_required
@require_POST
def expert_import_apply(request):
    return import_session.apply_step(
        request,
        key=IMPORT_SESSION_KEY,
        plan=plan_expert_import,
        apply=lambda plan, _stored: apply_expert_import(plan=plan, by=request.user),
        preview=_import_preview,
        done=_imported,
        upload_url="manage:expert-import",
    )


def _imported(request, created):
    messages.success(request, _("已导入 %(n)d 名专家,邀请邮件已发出。") % {"n": len(created)})
    return redirect("manage:experts")


@administrator_required
@require_http_methods(["GET", "POST"])
def panels(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = PanelForm(request.POST or None, instance=Panel(campaign=campaign))
    if request.method == "POST" and form.is_valid():
        try:
            panel_services.save_panel(form=form, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评审组已创建。"))
            return redirect("manage:panels", pk=pk)
    items = campaign.panels.prefetch_related("fields", "members").select_related("chair")
    return render(
        request,
        "office/panels.html",
        {
            "campaign": campaign,
            "panels": items,
            "form": form,
            "editable": panel_rules.can_edit_panels(request.user, campaign),
        },
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def panel_edit(request, pk):
    panel = get_object_or_404(Panel.objects.select_related("campaign"), pk=pk)
    form = PanelForm(request.POST or None, instance=panel)
    if request.method == "POST" and form.is_valid():
        try:
            panel_services.save_panel(form=form, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评审组已保存。"))
            return redirect("manage:panels", pk=panel.campaign_id)
    return render(request, "office/form_page.html", {"form": form, "page_title": panel.name})
