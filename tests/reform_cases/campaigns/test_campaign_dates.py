"""Dates of the campaign form far outside the award's years are refused, not a server error."""

import pytest
from django.test import Client

from reform_cases.models import Campaign

pytestmark = pytest.mark.django_db


def test_year_1_and_9999_are_refused_and_the_form_keeps_what_was_typed(make_user):
    client = Client()
    client.force_login(make_user("administrator"))
    data = {
        "year": "2031",
        "title": "2031年度浙江省改革创新实践案例",
        "submission_opens_at": "0001-01-01T00:00",
        "submission_closes_at": "9999-12-31T23:59",
        "max_cases_per_organisation": "3",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-0-order": "1",
        "tiers-0-code": "best",
        "tiers-0-name": "最佳实践案例",
        "tiers-0-quota": "10",
    }

    r = client.post("/manage/campaigns/new/", data)

    assert r.status_code == 200
    form = r.context["form"]
    for name in ("submission_opens_at", "submission_closes_at"):
        assert form.errors[name] == ["请填写 2000 年到 2100 年之间的日期。"]
    html = r.content.decode()
    assert "2031年度浙江省改革创新实践案例" in html
    assert 'value="0001-01-01T00:00"' in html and 'value="9999-12-31T23:59"' in html
    assert not Campaign.objects.filter(year=2031).exists()
