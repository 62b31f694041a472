"""The ranking page takes the campaign into ranking itself (the status form's one path), and the
lock asks first on a page of its own that says what will happen, in numbers."""

import re

import pytest

from reform_cases.models import CampaignStatus, CampaignStatusChange
from reviews.ranking import services as ranking
from tests.factories import (
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
)
from tests.helpers import client_of, message_text


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True)


@pytest.fixture
def office(admin):
    return client_of(admin)


def ranked(admin, *, n=4, status=CampaignStatus.RANKING):
    """A campaign with tiers 最佳 (quota 1) / 优秀 (quota 2), n cases ranked in a closed round."""
    campaign = ranking_campaign(best=1, excellent=2)
    cases = [accepted_case_for_ranking(campaign, f"排名步骤案例{i}") for i in range(n)]
    review_round = make_closed_round(campaign, cases=cases)
    add_reviews(review_round, {case: [90 - 3 * i] * 3 for i, case in enumerate(cases)})
    ranking.compute_ranking(review_round=review_round, by=admin)
    type(campaign).objects.filter(pk=campaign.pk).update(status=status)
    campaign.refresh_from_db()
    return campaign, review_round


def ranking_url(review_round, tail=""):
    return f"/manage/rounds/{review_round.pk}/ranking/{tail}"


# --- into the ranking stage ------------------------------------------------------------------


def test_in_review_the_ranking_page_offers_the_move_to_ranking(admin, office):
    _campaign, review_round = ranked(admin, status=CampaignStatus.REVIEWING)

    html = office.get(ranking_url(review_round)).content.decode()

    assert f'action="{ranking_url(review_round, "start/")}"' in html
    assert "进入排名阶段" in html
    assert "评审结束后进入“排名”阶段,才能调整等次并锁定排名" in html


def test_the_move_goes_through_the_status_service_and_is_recorded(admin, office):
    campaign, review_round = ranked(admin, status=CampaignStatus.REVIEWING)

    r = office.post(ranking_url(review_round, "start/"))

    assert r.status_code == 302 and r["Location"] == ranking_url(review_round)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RANKING
    change = CampaignStatusChange.objects.get(campaign=campaign)
    assert (change.from_status, change.to_status, change.actor) == ("reviewing", "ranking", admin)
    assert "评选活动已进入“排名”阶段" in message_text(r)
    html = office.get(ranking_url(review_round)).content.decode()
    assert "进入排名阶段" not in html  # done: now the lock is offered
    assert f'href="{ranking_url(review_round, "lock/")}"' in html


@pytest.mark.parametrize("status", [CampaignStatus.RANKING, CampaignStatus.LOCKED])
def test_the_move_is_refused_with_the_services_message_outside_review(admin, office, status):
    campaign, review_round = ranked(admin, status=status)

    html = office.get(ranking_url(review_round)).content.decode()
    r = office.post(ranking_url(review_round, "start/"))

    assert "进入排名阶段" not in html
    assert r.status_code == 302
    expected = {
        CampaignStatus.RANKING: "不能从“排名”直接变更为“排名”",
        CampaignStatus.LOCKED: "重新开放排名请在排名页面填写理由后操作",  # reopening has its own step
    }[status]
    assert expected in message_text(r)
    campaign.refresh_from_db()
    assert campaign.status == status
    assert not CampaignStatusChange.objects.filter(campaign=campaign).exists()


# --- the lock's confirmation ----------------------------------------------------------------


def test_the_lock_is_a_link_to_its_confirmation_not_a_script_dialog(admin, office):
    _campaign, review_round = ranked(admin)

    html = office.get(ranking_url(review_round)).content.decode()

    assert (
        f'<a class="btn btn-danger btn-sm text-wrap" href="{ranking_url(review_round, "lock/")}">'
        in html
    )
    assert "data-confirm" not in html


def test_the_confirmation_says_what_will_happen_in_numbers(admin, office):
    campaign, review_round = ranked(admin, n=5)  # 1 best, 2 excellent, 2 without a tier

    r = office.get(ranking_url(review_round, "lock/"))

    assert r.status_code == 200
    html = r.content.decode()
    summary = re.search(r'<section id="lock-summary".*?</section>', html, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary))
    assert f"评选活动“{campaign.localised_title}”进入“结果锁定”阶段" in text
    assert "本轮排名中的案例(共 5 个)按下表的等次锁定" in text
    assert "最佳实践案例 1 1" in text  # tier, cases, quota
    assert "优秀实践案例 2 2" in text
    assert "不获奖 2" in text
    assert "合计 5" in text
    # Keyboard: a labelled note, then the button, then the way back; no script dialog.
    form = re.search(r'<form method="post" class="border.*?</form>', html, re.S).group(0)
    assert form.index('for="lock-note"') < form.index("确认锁定排名") < form.index("取消,返回排名")
    assert "data-confirm" not in html
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RANKING  # a GET changes nothing


def test_the_confirmation_shows_what_still_blocks_the_lock(admin, office):
    campaign, review_round = ranked(admin, n=3)
    entry = review_round.ranking.get(rank=1)
    entry.flags = ["boundary_tie"]
    entry.save(update_fields=["flags"])

    html = office.get(ranking_url(review_round, "lock/")).content.decode()

    assert "以下案例在等次边界并列" in html and entry.case.title in html
    r = office.post(ranking_url(review_round, "lock/"), {"note": "会议确认"})
    assert r.status_code == 200  # the page again, with the service's reason and the note kept
    assert "以下案例在等次边界并列" in r.content.decode()
    assert "会议确认" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RANKING


def test_confirming_locks_the_ranking(admin, office):
    campaign, review_round = ranked(admin)

    r = office.post(ranking_url(review_round, "lock/"), {"note": "评审委员会会议确认"})

    assert r.status_code == 302 and r["Location"] == ranking_url(review_round)
    assert "排名已锁定,评选活动进入“结果锁定”阶段。" in message_text(r)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED
    change = CampaignStatusChange.objects.get(campaign=campaign)
    assert (change.to_status, change.note) == ("locked", "评审委员会会议确认")


def test_an_over_long_note_is_refused_and_kept(admin, office):
    campaign, review_round = ranked(admin)

    r = office.post(ranking_url(review_round, "lock/"), {"note": "长" * 1001})

    assert r.status_code == 200
    assert "不能超过 1000 个字" in r.content.decode()
    assert "长" * 1001 in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RANKING


@pytest.mark.parametrize("status", [CampaignStatus.REVIEWING, CampaignStatus.LOCKED])
def test_the_confirmation_sends_back_when_the_ranking_cannot_be_locked(admin, office, status):
    _campaign, review_round = ranked(admin, status=status)

    r = office.get(ranking_url(review_round, "lock/"))

    assert r.status_code == 302 and r["Location"] == ranking_url(review_round)
    expected = "进入“排名”阶段后" if status == CampaignStatus.REVIEWING else "排名已锁定"
    assert expected in message_text(r)


@pytest.mark.parametrize("page", ["", "lock/"])
def test_ranking_pages_read_a_bounded_number_of_queries(
    admin, office, django_assert_max_num_queries, page
):
    for n in (5, 40):
        campaign = ranking_campaign(best=2, excellent=3)
        cases = [accepted_case_for_ranking(campaign, f"查询数案例{n}-{i}") for i in range(n)]
        review_round = make_closed_round(campaign, cases=cases)
        for rank, case in enumerate(cases, start=1):
            ranking_entry(review_round, case, campaign.best if rank < 3 else None, rank=rank)
        with django_assert_max_num_queries(16):
            assert office.get(ranking_url(review_round, page)).status_code == 200
