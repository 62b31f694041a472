"""What of accounts the audit chain covers (audit/chain.py), registered at start-up."""

from accounts.models import AccountEvent
from audit import chain


def register() -> None:
    chain.track_rows(AccountEvent)
