"""Reads of the locality's pages and of the formal check."""

from collections.abc import Callable

import django_filters
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from common.lists import join_list
from reform_cases.models import CASE_SECTIONS, Campaign, CampaignStatus, Case, CaseStatus, Field

# The fields of the case form, in its order: what two versions of a draft are compared on.
COMPARED_FIELDS = (
    "title",
    "field",
    "co_organisations",
    *CASE_SECTIONS,
    "contact_name",
    "contact_phone",
)


def cases_of_organisation(organisation) -> QuerySet[Case]:
    return (
        Case.objects.filter(organisation=organisation, is_historical=False)
        .select_related("campaign", "field")
        .annotate(n_attachments=Count("attachments"))
        .order_by("-campaign__year", "-updated_at")
    )


def open_campaigns() -> QuerySet[Campaign]:
    """Campaigns taking submissions now (demo campaigns included, for the embedded default)."""
    return Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("-year", "is_demo")


def next_campaign_opening() -> Campaign | None:
    return (
        Campaign.objects.filter(status=CampaignStatus.DRAFT, submission_opens_at__gt=timezone.now())
        .order_by("submission_opens_at")
        .first()
    )


def case_with_details(qs, pk) -> Case:
    return (
        qs.select_related("campaign", "organisation__parent", "region", "field", "tier")
        .prefetch_related("co_organisations", "attachments")
        .get(pk=pk)
    )


def status_counts(campaign) -> dict:
    rows = Case.objects.filter(campaign=campaign).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(CaseStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


class SubmissionFilter(django_filters.FilterSet):
    """Filters of the formal-check list; they combine."""

    q = django_filters.CharFilter(label=_("标题"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=CaseStatus.choices, empty_label=_("全部状态")
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("申报单位"), queryset=Organisation.objects.all(), empty_label=_("全部单位")
    )
    city = django_filters.ModelChoiceFilter(
        label=_("设区市"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.CITY),
        method="in_city",
        empty_label=_("全部设区市"),
    )
    field = django_filters.ModelChoiceFilter(
        label=_("领域"), queryset=Field.objects.all(), empty_label=_("全部领域")
    )

    class Meta:
        model = Case
        fields = ["q", "status", "organisation", "city", "field"]

    def search(self, queryset, name, value) -> QuerySet[Case]:
        return queryset.filter(title__icontains=value.strip()[:100])

    def in_city(self, queryset, name, value) -> QuerySet[Case]:
        return queryset.filter(Q(organisation=value) | Q(organisation__parent=value))


def submissions(campaign) -> QuerySet[Case]:
    """A campaign's cases for the formal check (drafts are the localities' own business)."""
    return (
        Case.objects.filter(campaign=campaign)
        .exclude(status=CaseStatus.DRAFT)
        .select_related("organisation__parent", "field")
        .annotate(n_attachments=Count("attachments"))
        .order_by("status", "-submitted_at", "pk")
    )


# Two versions of a draft --------------------------------------------------------------------


def _comparable(name, value):
    if name == "field":
        return getattr(value, "pk", value)
    if name == "co_organisations":
        return sorted(o.pk for o in value)
    return (value or "").replace("\r\n", "\n")


def _shown(name, value) -> str:
    if name == "co_organisations":
        return join_list(o.name for o in value)
    return str(value) if value is not None else ""


def draft_differences(case: Case, typed: dict) -> list[dict]:
    """The fields of `typed` whose value differs from the stored `case`, in the form's order.

    Each row: name, label, stored and typed (as text to show side by side).
    """
    rows = []
    for name in COMPARED_FIELDS:
        if name not in typed:
            continue
        if name == "co_organisations":
            stored = list(case.co_organisations.all())
        else:
            stored = getattr(case, name)
        if _comparable(name, stored) != _comparable(name, typed[name]):
            rows.append(
                {
                    "name": name,
                    "label": Case._meta.get_field(name).verbose_name,
                    "stored": _shown(name, stored),
                    "typed": _shown(name, typed[name]),
                }
            )
    return rows


# Conflicts of interest a case's co-implementing organisations create -------------------------
#
# Experts belong to `reviews`, which registers the provider at start-up (reviews/apps.py):
# a provider takes a case and returns {co-organisation id: [(expert name, reason), ...]}.

_conflict_providers: list[Callable] = []


def register_co_organisation_conflicts(provider: Callable) -> None:
    if provider not in _conflict_providers:
        _conflict_providers.append(provider)


def co_organisation_conflicts(case: Case) -> list[dict] | None:
    """Per co-implementing organisation of `case`, the experts it excludes from reviewing it.

    Rows of organisation and experts ([(name, reason)]); None when no provider is registered.
    `case.co_organisations` should be prefetched.
    """
    if not _conflict_providers:
        return None
    organisations = list(case.co_organisations.all())
    excluded = {o.pk: [] for o in organisations}
    if organisations:
        for provider in _conflict_providers:
            for organisation_id, experts in provider(case).items():
                excluded.setdefault(organisation_id, []).extend(experts)
    return [{"organisation": o, "experts": excluded[o.pk]} for o in organisations]


# Panels other apps add to the formal-check page of a case -----------------------------------
#
# case_text shows there the cases a submission resembles (重复申报); reform_cases must not import
# it, so it registers a provider at start-up (case_text/apps.py). A provider takes the case and
# the user and returns None (nothing to show) or a dict with "template" (included with the dict
# as `panel`) and whatever that template reads.

_formal_check_panels: list[Callable] = []


def register_formal_check_panel(provider: Callable) -> None:
    if provider not in _formal_check_panels:
        _formal_check_panels.append(provider)


def formal_check_panels(case: Case, user) -> list[dict]:
    panels = (provider(case, user) for provider in _formal_check_panels)
    return [panel for panel in panels if panel]
