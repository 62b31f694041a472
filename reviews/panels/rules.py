"""When a campaign's panels may change (see reform_cases/campaigns/rules.py): until the lock."""

import rules

from reform_cases.campaigns.rules import decisions_are_open, is_office

can_edit_panels = is_office & decisions_are_open

rules.add_rule("can_edit_panels", can_edit_panels)
