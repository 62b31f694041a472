"""When assignments and conflicts may change (see reform_cases/campaigns/rules.py).

Who reviews a case decides its tier as much as the scores do: assignments freeze with
the ranking's lock. An expert may still declare a conflict on a case assigned to them
(that refuses the case; it changes no tier by itself).
"""

import rules

from reform_cases.campaigns.rules import decisions_are_open, is_office

can_change_assignments = is_office & decisions_are_open

rules.add_rule("can_change_assignments", can_change_assignments)
