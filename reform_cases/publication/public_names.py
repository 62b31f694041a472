"""Which units and fields the public results name, so that they are not renamed quietly.

The public pages read a case's unit, co-implementing units, region and field live from
their rows, and the results manifest froze the unit's name on publication: renaming one of
these would change published pages without a trace. Their services refuse it, pointing to
the correction procedure (services.correct_case). Registered with accounts at start-up
(accounts/organisations/public_use.py), which may not import this app.
"""

from django.db.models import Q

from accounts.models import Organisation
from accounts.organisations.public_use import PublicUse
from reform_cases.models import Campaign, Case, Field


def _campaigns(cases) -> tuple[str, ...]:
    rows = Campaign.objects.filter(pk__in=cases.values("campaign_id")).order_by("year")
    return tuple(c.localised_title for c in rows)


def organisation_public_use(organisation: Organisation) -> PublicUse:
    """Its name, wherever a public case names it; also its kind and parent when it is a case's
    region, since they place it in the results' region filter (publication/filters.py)."""
    public = Case.objects.public()
    named = public.filter(
        Q(organisation=organisation) | Q(co_organisations=organisation) | Q(region=organisation)
    )
    campaigns = _campaigns(named)
    if not campaigns:
        return PublicUse()
    attributes = {"name"}
    if public.filter(region=organisation).exists():
        attributes |= {"kind", "parent"}
    return PublicUse(frozenset(attributes), campaigns)


def field_public_campaigns(field: Field) -> tuple[str, ...]:
    """The public campaigns whose results name the field; () when none do."""
    if field.pk is None:
        return ()
    return _campaigns(Case.objects.public().filter(field=field))


def register() -> None:
    from accounts.organisations import public_use

    public_use.register(organisation_public_use)
