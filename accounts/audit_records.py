"""What of accounts the audit chain covers (audit/chain.py), registered at start-up."""

from accounts.models import AccountEvent
from audit import chain

# An administrator exported what the platform holds about a person (accounts/personal_data.py).
PERSONAL_DATA_EXPORTED = "accounts.personal_data.exported"


def register() -> None:
    chain.track_rows(AccountEvent)
