"""What the public pages show of a unit, told by the app that publishes results.

`accounts` cannot import `reform_cases` (dependencies point the other way), yet a unit named
in a result on public notice or published must not be renamed quietly. So `reform_cases`
registers, at start-up, a finder (reform_cases/publication/public_names.py) that says which
of the unit's attributes its public pages show and in which campaigns.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Organisation


@dataclass(frozen=True)
class PublicUse:
    attributes: frozenset[str] = frozenset()  # the unit's fields that public pages show
    campaigns: tuple[str, ...] = ()  # where, for the message

    def __bool__(self):
        return bool(self.attributes)


_finders: list[Callable[[Organisation], PublicUse]] = []


def register(finder: Callable[[Organisation], PublicUse]) -> None:
    if finder not in _finders:
        _finders.append(finder)


def public_use(organisation: Organisation) -> PublicUse:
    """Every registered finder's answer for `organisation`, merged."""
    attributes, campaigns = set(), []
    if organisation.pk is None:
        return PublicUse()
    for finder in _finders:
        use = finder(organisation)
        attributes |= use.attributes
        campaigns += [c for c in use.campaigns if c not in campaigns]
    return PublicUse(frozenset(attributes), tuple(campaigns))
