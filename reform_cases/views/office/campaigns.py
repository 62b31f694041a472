"""The organising office's campaign pages under /manage/: dashboard, campaign form, status, files."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import administrator_required
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.campaigns import services as campaign_services
from reform_cases.campaigns.forms import (
    CampaignFileForm,
    CampaignForm,
    NewCampaignTierFormSet,
    OrganiserNameForm,
    StatusChangeForm,
    TierFormSet,
)
from reform_cases.models import Campaign, CampaignFile, CampaignStatus, CaseStatus
from reform_cases.publication import rules as publication_rules


# Notice copies the ranking onto the cases and publication notifies localities:
# they go through their own services, never through the plain status form.
def _campaigns_with_counts():
    counted = {
        f"n_{status}": Count("cases", filter=Q(cases__status=status))
        for status in (
            CaseStatus.DRAFT,
            CaseStatus.SUBMITTED,
            CaseStatus.RETURNED,
            CaseStatus.ACCEPTED,
        )
    }
    return Campaign.objects.annotate(n_cases=Count("cases"), **counted).order_by("-year", "is_demo")


@administrator_required
def dashboard(request):
    return render(request, "office/dashboard.html", {"campaigns": _campaigns_with_counts()})


@administrator_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk=None):
    campaign = get_object_or_404(Campaign, pk=pk) if pk else Campaign()
    if pk and not campaign_rules.can_edit_campaign(request.user, campaign):
        messages.error(request, _("结果锁定后不能再修改评选活动的设置。"))
        return redirect("manage:campaign-detail", pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    formset_class = TierFormSet if pk else NewCampaignTierFormSet
    tiers = formset_class(request.POST or None, instance=campaign, prefix="tiers")
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        try:
            campaign = campaign_services.save_campaign(
                form=form, tier_formset=tiers, by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评选活动已保存。"))
            return redirect("manage:campaign-detail", pk=campaign.pk)
    return render(
        request,
        "office/campaign_form.html",
        {"form": form, "tiers": tiers, "campaign": campaign if pk else None},
    )


@administrator_required
def campaign_detail(request, pk):
    campaign = get_object_or_404(_campaigns_with_counts(), pk=pk)
    targets = campaign_services.allowed_targets(campaign)
    return render(
        request,
        "office/campaign_detail.html",
        {
            "campaign": campaign,
            "tiers": campaign.tiers.order_by("order"),
            "forward": campaign_services.FORWARD.get(campaign.status),
            "backward": campaign_services.BACKWARD.get(campaign.status),
            "targets": [(t, CampaignStatus(t).label) for t in targets],
            "changes": campaign.status_changes.select_related("actor")[:50],
            "files": campaign.files.all(),
            "file_form": CampaignFileForm(),
            "organiser_form": OrganiserNameForm(
                initial={"organiser_name": campaign.organiser_name}
            ),
            "editable": campaign_rules.can_edit_campaign(request.user, campaign),
            "can_publish_results": publication_rules.can_publish_results(request.user, campaign),
            "can_answer_objections": publication_rules.can_answer_objection(request.user, campaign),
            "owned_steps": campaign_services.owned_steps(campaign),
        },
    )


@administrator_required
@require_POST
def campaign_status(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效,请重试。"))
        return redirect("manage:campaign-detail", pk=pk)
    try:
        campaign = campaign_services.change_campaign_status(
            campaign=campaign,
            by=request.user,
            to=form.cleaned_data["to"],
            confirm=form.cleaned_data["confirm"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("状态已变更为“%(status)s”。") % {"status": campaign.get_status_display()}
        )
    return redirect("manage:campaign-detail", pk=pk)


@administrator_required
@require_http_methods(["GET", "POST"])
def campaign_organiser(request, pk):
    """The organiser's name on the certificates: settable in every status, published included."""
    campaign = get_object_or_404(Campaign, pk=pk)
    form = OrganiserNameForm(
        request.POST or None, initial={"organiser_name": campaign.organiser_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign_services.set_organiser_name(
                campaign=campaign,
                by=request.user,
                organiser_name=form.cleaned_data["organiser_name"],
            )
        except ValidationError as exc:
            # The form again, with what was typed and why it was refused.
            form.add_error(None, exc)
        else:
            messages.success(request, _("主办单位已保存,此后下载的获奖证书将印上新的名称。"))
            return redirect("manage:campaign-detail", pk=pk)
    return render(request, "office/campaign_organiser.html", {"campaign": campaign, "form": form})


@administrator_required
@require_POST
def campaign_file_add(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            campaign_services.add_campaign_file(
                campaign=campaign,
                by=request.user,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("模板文件已上传。"))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("manage:campaign-detail", pk=pk)


@administrator_required
@require_POST
def campaign_file_remove(request, pk, file_pk):
    item = get_object_or_404(CampaignFile, pk=file_pk, campaign_id=pk)
    campaign_services.remove_campaign_file(item=item, by=request.user)
    messages.success(request, _("模板文件已删除。"))
    return redirect("manage:campaign-detail", pk=pk)
