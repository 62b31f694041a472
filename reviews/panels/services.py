"""State changes of panels: creating and editing them, until the ranking's lock."""

from django.db import transaction

from reform_cases.campaigns import rules as campaign_rules
from reviews.models import Panel
from reviews.panels import rules as panel_rules


@transaction.atomic
def save_panel(*, form, by) -> Panel:
    """Create or edit a panel (its fields, members and chair)."""
    campaign = form.instance.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        panel_rules.can_edit_panels, by, campaign, campaign_rules.frozen_message(campaign)
    )
    return form.save()
