"""Who may change units, and which may be deleted: named predicates (the `rules` package).

The service refuses with the same predicates that decide whether the page shows a button.
"""

import rules

from accounts.models import Organisation
from common.references import references


@rules.predicate
def is_office(user) -> bool:
    return bool(getattr(user, "is_administrator", False))


@rules.predicate
def organisation_is_unreferenced(user, organisation: Organisation) -> bool:
    """No account, case, co-implementing link, expert or child unit refers to it."""
    return not references(organisation)


can_edit_organisations = is_office
can_delete_organisation = is_office & organisation_is_unreferenced

rules.add_rule("can_edit_organisations", can_edit_organisations)
rules.add_rule("can_delete_organisation", can_delete_organisation)
