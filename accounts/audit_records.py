"""What of accounts the audit chain covers (audit/chain.py), registered at start-up."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountEvent
from audit import chain

# An administrator exported what the platform holds about a person (accounts/personal_data.py).
PERSONAL_DATA_EXPORTED = "accounts.personal_data.exported"


class OrganisationRecord(models.TextChoices):
    """A unit created, changed or deleted on the office's pages (accounts/organisations/).

    Chained with `chain.append`, not kept in a table that refers to the unit: such a row would
    PROTECT the unit from ever being deleted, and a column added to AccountEvent would change
    the chained content of every account event already recorded."""

    CREATED = "accounts.unit.created", _("新建单位")
    CHANGED = "accounts.unit.changed", _("修改单位")
    DELETED = "accounts.unit.deleted", _("删除单位")


def register() -> None:
    chain.track_rows(AccountEvent)
