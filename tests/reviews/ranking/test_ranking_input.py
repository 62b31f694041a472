"""What the committee types on the ranking page: absurd dates and over-long or NUL text are
refused with a message naming the field, never cut short or a server error."""

import pytest
from django.urls import reverse

from reviews.models import RoundEventKind, TierOverride
from tests.factories import (
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
)
from tests.helpers import message_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    campaign = ranking_campaign()
    case = accepted_case_for_ranking(campaign, "“最多跑一次”改革")
    round = make_closed_round(campaign, cases=[case])
    entry = ranking_entry(round, case, campaign.best)
    return campaign, round, entry


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_notice_end_outside_the_range_is_refused(scene, office_client, typed):
    campaign, round, _entry = scene
    r = office_client.post(
        reverse("manage:ranking-notice", kwargs={"pk": round.pk}), {"ends_at": typed}
    )

    assert r.status_code == 302
    assert "公示截止:请填写 2000 年到 2100 年之间的日期。" in message_text(r)
    campaign.refresh_from_db()
    assert campaign.notice_ends_at is None


@pytest.mark.parametrize(
    ("action", "field", "limit", "label"),
    [("lock", "note", 1000, "锁定说明"), ("reopen", "reason", 1000, "重新开放理由")],
)
def test_over_long_or_nul_text_is_refused_not_cut(
    scene, office_client, action, field, limit, label
):
    _campaign, round, _entry = scene
    url = reverse(f"manage:ranking-{action}", kwargs={"pk": round.pk})
    for typed, expected in (
        ("理" * (limit + 1), f"{label}:不能超过 {limit} 个字"),
        ("理由\x00", f"{label}:含有不允许的空字符"),
    ):
        r = office_client.post(url, {field: typed})

        if action == "lock":  # its confirmation page again, with the message
            assert r.status_code == 200
            assert expected in r.content.decode()
        else:
            assert r.status_code == 302
            assert expected in message_text(r)
        assert not round.events.filter(
            kind__in=[RoundEventKind.RANKING_LOCKED, RoundEventKind.RANKING_REOPENED]
        ).exists()


def test_over_long_override_reason_is_refused_not_cut(scene, office_client):
    campaign, round, entry = scene
    r = office_client.post(
        reverse("manage:ranking-override", kwargs={"pk": round.pk, "entry_pk": entry.pk}),
        {"tier": campaign.excellent.pk, "reason": "理" * 2001},
    )

    assert r.status_code == 302
    assert "调整理由:不能超过 2000 个字" in message_text(r)
    assert not TierOverride.objects.exists()
    entry.refresh_from_db()
    assert entry.final_tier == campaign.best


@pytest.mark.parametrize("typed", ["甲\x00乙", "abc", "=1+1"])
def test_compute_with_a_basis_that_does_not_exist_is_refused_with_a_message(
    scene, office_client, typed
):
    _campaign, round, _entry = scene
    before = list(round.ranking.values_list("pk", "computed_at"))

    r = office_client.post(
        reverse("manage:ranking-compute", kwargs={"pk": round.pk}), {"basis": typed}
    )

    assert r.status_code == 302
    assert "请选择有效的排名依据。" in message_text(r)
    assert list(round.ranking.values_list("pk", "computed_at")) == before
    assert not round.events.filter(kind=RoundEventKind.RANKING_COMPUTED).exists()
