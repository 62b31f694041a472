"""Who may change fields of reform, and which may be deleted: named predicates."""

import rules

from common.references import references
from reform_cases.campaigns.rules import is_office
from reform_cases.models import Field


@rules.predicate
def field_is_unused(user, field: Field) -> bool:
    """No case, expert profile or panel refers to it."""
    return not references(field)


can_edit_fields = is_office
can_delete_field = is_office & field_is_unused

rules.add_rule("can_edit_fields", can_edit_fields)
rules.add_rule("can_delete_field", can_delete_field)
