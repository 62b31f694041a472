import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from reform_cases.models import Case, Field


class ResultsFilter(django_filters.FilterSet):
    """Region and field filters of a results page; they combine."""

    region = django_filters.ModelChoiceFilter(
        label=_("地区"),
        queryset=Organisation.objects.filter(
            parent__isnull=True, kind__in=[OrganisationKind.PROVINCE, OrganisationKind.CITY]
        ),
        empty_label=_("全部地区"),
    )
    field = django_filters.ModelChoiceFilter(
        label=_("领域"), queryset=Field.objects.all(), empty_label=_("全部领域")
    )

    class Meta:
        model = Case
        fields = ["region", "field"]

    @staticmethod
    def canonical_query(params) -> str:
        """The filter part of a query string, in a fixed order, for cache keys."""
        pairs = ((k, params.get(k, "")[:20]) for k in ("region", "field"))
        return "&".join(f"{k}={v}" for k, v in pairs if v)
