"""State changes of panels: creating and editing them, until the ranking's lock."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, AccountEventKind
from common.forms import describe_changes
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.models import CampaignEvent, CampaignEventKind
from reviews.models import ExpertProfile, Panel
from reviews.panels import rules as panel_rules
from reviews.panels.expert_vectors import refresh_on_commit
from reviews.panels.forms import taken_panel_name


@transaction.atomic
def save_panel(*, form, by) -> Panel:
    """Create or edit a panel (its fields, members and chair)."""
    campaign = form.instance.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        panel_rules.can_edit_panels, by, campaign, campaign_rules.frozen_message(campaign)
    )
    created = form.instance.pk is None
    changes = describe_changes(form) if not created else ""
    try:
        with transaction.atomic():
            panel = form.save()
    except IntegrityError:
        # Two clicks at once: both passed the form's check, the second meets the first's row.
        raise ValidationError({"name": taken_panel_name(form.cleaned_data["name"])}) from None
    if created or changes:
        CampaignEvent.objects.create(
            campaign=campaign,
            actor=by,
            kind=CampaignEventKind.PANEL_SAVED,
            note=_("新建评审组“%(name)s”") % {"name": panel.name}
            if created
            else f"{panel.name}:{changes}",
        )
    return panel


@transaction.atomic
def save_expert_profile(*, form, by) -> ExpertProfile:
    """Save an expert's profile (affiliation, fields, capacity), recording before → after."""
    campaign_rules.require_office(by)
    created = form.instance.pk is None
    changes = describe_changes(form)
    profile = form.save()
    if created or changes:
        AccountEvent.objects.create(
            user=profile.user,
            actor=by,
            kind=AccountEventKind.EXPERT_PROFILE_CHANGED,
            note=changes or _("新建专家信息"),
        )
        # Keywords or fields may have changed: the expert's vector follows (skipped if not).
        refresh_on_commit([profile.user_id])
    return profile
