"""Dates of the round form far outside the award's years are refused, not a server error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_year_1_and_9999_are_refused_and_the_form_keeps_what_was_typed(desk, office_client):
    before = (desk.round.opens_at, desk.round.closes_at, desk.round.name)
    r = office_client.post(
        reverse("manage:round-edit", kwargs={"pk": desk.round.pk}),
        {
            "name": "初评(改期)",
            "order": "1",
            "reviewers_per_case": "3",
            "opens_at": "0001-01-01T00:00",
            "closes_at": "9999-12-31T23:59",
            "visibility": desk.round.visibility,
            "reminder_days": "3",
        },
    )

    assert r.status_code == 200
    form = r.context["form"]
    for name in ("opens_at", "closes_at"):
        assert form.errors[name] == ["请填写 2000 年到 2100 年之间的日期。"]
    html = r.content.decode()
    assert "初评(改期)" in html and 'value="0001-01-01T00:00"' in html
    desk.round.refresh_from_db()
    assert (desk.round.opens_at, desk.round.closes_at, desk.round.name) == before
