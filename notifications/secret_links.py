"""Links that carry a secret are made when the e-mail is sent, and never stored.

An invitation or a password-reset link holds a one-time token: whoever reads it can
set the account's password. The outbox row therefore keeps only what is needed to
make the link again (the recipient and the kind); the app that owns the link
registers, at start-up, a function recipient → absolute URL for its kind
(`accounts/apps.py`: the invitation and the password reset), and this app imports
nothing of it.

`notify()` writes such a row with no `link` and its body rendered around a
placeholder, so the inbox, the outbox page and the admin show the text without the
token. Delivery calls the function for the recipient and renders the body again
with the fresh link, for the e-mail alone (templates of these kinds therefore use
`recipient` and `link` only).

A token minted at delivery lives from the moment the e-mail is sent: a reset link
for PASSWORD_RESET_TIMEOUT, an invitation until the next invitation or the password
is set (and at most seven days). A request older than the link's lifetime is not
sent any more: the row fails with `ExpiredLink`, as its link would have died unsent.
Delivery is at least once, so a rare second e-mail carries a second valid link to
the same address.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext


@dataclass(frozen=True)
class SecretLink:
    build: Callable[[object], str]  # recipient → absolute URL holding a fresh token
    lifetime: Callable[[], timedelta]  # how long after the request the e-mail may still go


_REGISTRY: dict[str, SecretLink] = {}


class ExpiredLink(Exception):
    """The request is older than its link's lifetime: sending it now would be misleading."""


def register(kind: str, *, build: Callable[[object], str], lifetime: Callable[[], timedelta]):
    """Make `kind`'s link at delivery with `build(recipient)`; never store it."""
    _REGISTRY[str(kind)] = SecretLink(build=build, lifetime=lifetime)


def secret_link(kind: str) -> SecretLink | None:
    return _REGISTRY.get(str(kind))


def placeholder() -> str:
    """What the stored body shows where the e-mail has the link (in the active language)."""
    return gettext("[链接仅在邮件中提供]")
