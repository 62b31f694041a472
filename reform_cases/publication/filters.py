import re

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from reform_cases.models import Case, Field

FILTER_PARAMETERS = ("region", "field")
ID = re.compile(r"[0-9]{1,9}")


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
    def canonical_query(params) -> str | None:
        """The filter part of a query string, in a fixed order, for cache keys.

        None when a value cannot be an id (letters, a sign, more than nine digits, the
        parameter repeated): such a query must not reach the cache, where every
        distinct value would be a page of its own. Whether an id exists is for
        `is_valid()`, asked only when the page is not cached yet.
        """
        pairs = []
        for name in FILTER_PARAMETERS:
            values = params.getlist(name)
            if len(values) > 1:
                return None
            value = values[0] if values else ""
            if not value:
                continue
            if not ID.fullmatch(value):
                return None
            pairs.append(f"{name}={int(value)}")
        return "&".join(pairs)
