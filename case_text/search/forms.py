"""The search box and the public search's filters (those of the results page, plus year and
tier, which the results page of one year does not need)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from case_text.search.terms import query_terms
from reform_cases.models import Campaign, Tier
from reform_cases.publication.filters import ResultsFilter

MAX_QUERY_CHARS = 100


class SearchForm(forms.Form):
    """`q`; its clean value is the query's words, [] when the box is empty."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=MAX_QUERY_CHARS,
        error_messages={
            "max_length": _("搜索词太长:最多 %(limit_value)d 个字。"),
        },
    )

    def clean_q(self) -> list[str]:
        text = self.cleaned_data["q"]  # stripped; NUL refused by CharField's own validator
        if not text:
            return []
        terms = query_terms(text)
        if not terms:
            raise forms.ValidationError(
                _("没有可以搜索的词语:请输入至少一个由两个或更多汉字(或字母)组成的词。"),
                code="no_terms",
            )
        return terms


def public_tier_choices() -> list[tuple[str, str]]:
    """Tier codes of the public campaigns, each named as in its newest campaign (one query)."""
    choices: dict[str, str] = {}
    tiers = (
        Tier.objects.filter(campaign__in=Campaign.objects.public())
        .select_related("campaign")
        .order_by("order", "-campaign__year")
    )
    for tier in tiers:
        choices.setdefault(tier.code, tier.localised_name)
    return list(choices.items())


class YearChoiceFilter(django_filters.ModelChoiceFilter):
    """?year=2020: a public campaign by its year, listed by year."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra["to_field_name"] = "year"

    @property
    def field(self):
        field = super().field
        field.label_from_instance = lambda campaign: str(campaign.year)
        return field


class SearchFilter(ResultsFilter):
    year = YearChoiceFilter(
        label=_("年度"),
        field_name="campaign",
        queryset=Campaign.objects.public().order_by("-year"),
        empty_label=_("全部年度"),
    )
    tier = django_filters.ChoiceFilter(
        label=_("等次"),
        field_name="tier__code",
        choices=public_tier_choices,
        empty_label=_("全部等次"),
    )

    class Meta(ResultsFilter.Meta):
        fields = ["year", "tier", "region", "field"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select"
