"""The notice period (days or an end time, extended or shortened with a reason), the
confirmation pages of 发布公示, 发布评选结果 and a correction (what each will do, in numbers),
the announcement date, and the locality's own outcome on its pages.

The scene is test_publication.py's (conftest.py): a locked ranking with best 1 (数字政府), excellent 2
(基层治理, 营商环境), two accepted cases not awarded (乡村振兴, 未进评审) and a withdrawn one;
单位甲 has two active locality accounts (and a deactivated one), 单位乙 one, 单位丙 none.
"""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext, override

from common.exceptions import InvalidTransition
from notifications.models import Notification
from reform_cases.models import (
    Campaign,
    CampaignEvent,
    CampaignEventKind,
    CampaignStatus,
    Case,
)
from reform_cases.publication import selectors as publication_selectors
from reform_cases.publication import services as publication_services
from reform_cases.publication.forms import NoticePeriodForm
from tests.factories import UserFactory
from tests.helpers import message_text
from tests.reform_cases.publication.test_publication import end_notice, page

BEIJING = timezone.get_default_timezone()


def text_of(response) -> str:
    """The page's text: tags dropped, whitespace runs as one space."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def impact_rows(response) -> dict[str, int]:
    table = re.search(r'<table[^>]*id="impact".*?</table>', response.content.decode(), re.S)
    assert table, "no numbers on the confirmation page"
    rows = re.findall(r"<th scope=\"row\"[^>]*>(.*?)</th><td[^>]*>(\d+)</td>", table.group(0))
    return {label: int(n) for label, n in rows}


def notice_url(round):
    return f"/manage/rounds/{round.pk}/ranking/notice/"


def publish_url(campaign):
    return f"/manage/campaigns/{campaign.pk}/publish/"


def change_url(campaign):
    return f"/manage/campaigns/{campaign.pk}/notice/"


def local(dt):
    return timezone.localtime(dt, BEIJING)


# --- the notice period in calendar days ---------------------------------------------------


def test_a_seven_day_notice_ends_at_five_pm_beijing_time_on_its_seventh_day():
    # Opened on Monday 1 June 2026 at 09:30 Beijing time (01:30 UTC): 1 … 7 June.
    start = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
    assert publication_services.notice_end(days=7, start=start) == datetime(
        2026, 6, 7, 9, 0, tzinfo=UTC
    )  # 17:00 +08:00
    # 23:30 UTC on 31 May is already 1 June in Beijing: the same end.
    late = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert publication_services.notice_end(days=7, start=late) == datetime(
        2026, 6, 7, 9, 0, tzinfo=UTC
    )
    # One day: today until 17:00.
    assert publication_services.notice_end(days=1, start=start) == datetime(
        2026, 6, 1, 9, 0, tzinfo=UTC
    )


def test_the_notice_form_takes_days_or_an_end_time_and_refuses_neither_or_the_past():
    form = NoticePeriodForm({"days": "7"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ends_at"] == publication_services.notice_end(days=7)

    form = NoticePeriodForm({"days": "7", "ends_at": "2031-05-01T18:00"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ends_at"] == datetime(2031, 5, 1, 10, 0, tzinfo=UTC)  # typed wins

    form = NoticePeriodForm({"days": "", "ends_at": ""})
    assert not form.is_valid()
    assert "请填写公示天数或公示截止时间。" in form.non_field_errors()

    form = NoticePeriodForm({"ends_at": "2001-05-01T18:00"})
    assert not form.is_valid()
    assert form.errors["ends_at"] == ["公示截止时间必须晚于现在。"]

    form = NoticePeriodForm({"days": "0"})
    assert not form.is_valid() and "days" in form.errors


# --- 发布公示: the confirmation page --------------------------------------------------------


def test_the_notice_confirmation_says_what_goes_on_notice_and_changes_nothing(scene, admin_client):
    campaign, round = scene["campaign"], scene["round"]

    r = admin_client.get(notice_url(round), {"days": "7", "ends_at": ""})

    assert r.status_code == 200
    assert impact_rows(r) == {"最佳实践案例": 1, "优秀实践案例": 2, "不获奖": 2}
    text = text_of(r)
    assert "将通知 0 个申报单位、0 位专家" in text  # the notice notifies no one
    ends = local(publication_services.notice_end(days=7))
    assert f"公示期至 {ends.year}年{ends.month}月{ends.day}日 17:00" in text
    assert f'value="{ends:%Y-%m-%dT%H:%M}"' in r.content.decode()  # the end it will POST
    assert "确认发布公示" in text
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED
    assert not Case.objects.filter(campaign=campaign, tier__isnull=False).exists()


def test_the_notice_confirmation_then_its_post_opens_the_notice(scene, admin_client, commit):
    campaign, round = scene["campaign"], scene["round"]
    r = admin_client.get(notice_url(round), {"days": "", "ends_at": "2031-05-01T17:00"})
    ends = re.search(r'name="ends_at" value="([^"]+)"', r.content.decode()).group(1)
    assert ends == "2031-05-01T17:00"

    with commit():
        r = admin_client.post(notice_url(round), {"ends_at": ends})

    assert r.status_code == 302 and "公示已发布" in message_text(r)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    assert campaign.notice_ends_at == datetime(2031, 5, 1, 9, 0, tzinfo=UTC)


def test_the_notice_confirmation_keeps_bad_input_and_offers_no_button(scene, admin_client):
    r = admin_client.get(notice_url(scene["round"]), {"days": "abc", "ends_at": ""})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'value="abc"' in html and "is-invalid" in html
    assert not re.search(r'<form method="post"[^>]*ranking/notice', html)


def test_the_notice_confirmation_refuses_before_the_lock(scene, admin_client):
    Campaign.objects.filter(pk=scene["campaign"].pk).update(status=CampaignStatus.RANKING)
    r = admin_client.get(notice_url(scene["round"]))
    assert r.status_code == 200
    assert "排名锁定后才能发布公示。" in text_of(r)
    assert 'id="impact"' not in r.content.decode()
    assert not re.search(r'<form method="post"[^>]*ranking/notice', r.content.decode())


def test_the_ranking_page_links_to_the_confirmation_which_offers_seven_days(scene, admin_client):
    round = scene["round"]
    html = admin_client.get(f"/manage/rounds/{round.pk}/ranking/").content.decode()
    assert f'href="{notice_url(round)}"' in html
    assert not re.search(r'<form method="post"[^>]*ranking/notice', html)

    r = admin_client.get(notice_url(round))
    assert 'name="days" id="id_days" value="7"' in r.content.decode()
    ends = local(publication_services.notice_end(days=7))
    assert f'name="ends_at" value="{ends:%Y-%m-%dT%H:%M}"' in r.content.decode()


# --- changing a running notice --------------------------------------------------------------


def test_extending_the_notice_is_recorded_and_shown_publicly_with_its_reason(
    noticed, admin, client, commit
):
    campaign = noticed["campaign"]
    old = campaign.notice_ends_at
    page(client, f"/results/{campaign.year}/")  # cached: the change must refresh it
    new = old + timedelta(days=3)
    reason = "应社会公众要求,延长公示期三天。"

    with commit():
        publication_services.change_notice_period(
            campaign=campaign, by=admin, ends_at=new, reason=reason
        )

    campaign.refresh_from_db()
    assert campaign.notice_ends_at == new
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.kind, event.actor) == (CampaignEventKind.NOTICE_EXTENDED, admin)
    assert event.note.endswith(reason) and f"{local(old):%Y-%m-%d %H:%M} → " in event.note
    html = re.sub(r"\s+", " ", page(client, f"/results/{campaign.year}/"))
    shown = local(new)
    assert f"公示期延长至 {shown.year}年{shown.month}月{shown.day}日 {shown:%H:%M}。" in html
    assert f"理由:{reason}" in html
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = english.get(f"/results/{campaign.year}/").content.decode()
    with override("en"):
        assert gettext("理由:%(reason)s") % {"reason": reason} in html


def test_shortening_the_notice_says_adjusted(noticed, admin, client, commit):
    campaign = noticed["campaign"]
    new = timezone.now() + timedelta(days=2)
    with commit():
        publication_services.change_notice_period(
            campaign=campaign, by=admin, ends_at=new, reason="按文件要求调整。"
        )
    assert CampaignEvent.objects.get().kind == CampaignEventKind.NOTICE_SHORTENED
    html = page(client, f"/results/{campaign.year}/")
    assert "公示期调整为" in html and "公示期延长至" not in html and "按文件要求调整。" in html


@pytest.mark.parametrize(
    "ends_in,reason,message",
    [
        (timedelta(days=-1), "理由", "新的公示截止时间必须晚于现在。"),
        (timedelta(seconds=-1), "理由", "新的公示截止时间必须晚于现在。"),
        (timedelta(days=3), "  ", "请填写调整公示期的理由。"),
    ],
)
def test_a_notice_change_needs_a_future_end_and_a_reason(noticed, admin, ends_in, reason, message):
    campaign = noticed["campaign"]
    before = campaign.notice_ends_at
    with pytest.raises(ValidationError) as caught:
        publication_services.change_notice_period(
            campaign=campaign, by=admin, ends_at=timezone.now() + ends_in, reason=reason
        )
    assert message in caught.value.messages
    campaign.refresh_from_db()
    assert campaign.notice_ends_at == before and not CampaignEvent.objects.exists()


def test_a_notice_change_is_refused_once_it_ended_or_was_published(noticed, admin):
    campaign = noticed["campaign"]
    end_notice(campaign)
    with pytest.raises(InvalidTransition) as caught:
        publication_services.change_notice_period(
            campaign=campaign, by=admin, ends_at=timezone.now() + timedelta(days=1), reason="补"
        )
    assert "只有公示期内才能调整公示期。" in caught.value.messages
    publication_services.publish_results(campaign=campaign, by=admin)
    with pytest.raises(InvalidTransition):
        publication_services.change_notice_period(
            campaign=campaign, by=admin, ends_at=timezone.now() + timedelta(days=1), reason="补"
        )
    assert not CampaignEvent.objects.exists()


def test_only_the_office_changes_a_notice(noticed):
    locality = noticed["users"]["甲1"]
    with pytest.raises(PermissionDenied):
        publication_services.change_notice_period(
            campaign=noticed["campaign"],
            by=locality,
            ends_at=timezone.now() + timedelta(days=9),
            reason="延长",
        )


def test_the_rule_allows_a_change_only_while_the_notice_runs(noticed, admin):
    from reform_cases.publication.rules import can_change_notice_period

    campaign = noticed["campaign"]
    assert can_change_notice_period(admin, campaign)
    assert not can_change_notice_period(noticed["users"]["甲1"], campaign)
    end_notice(campaign)
    assert not can_change_notice_period(admin, campaign)


def test_the_notice_change_page_keeps_what_was_typed_and_then_saves(noticed, admin_client, commit):
    campaign = noticed["campaign"]
    detail = admin_client.get(f"/manage/campaigns/{campaign.pk}/").content.decode()
    assert f'href="{change_url(campaign)}"' in detail

    r = admin_client.get(change_url(campaign))
    assert r.status_code == 200
    assert f'value="{local(campaign.notice_ends_at):%Y-%m-%dT%H:%M}"' in r.content.decode()

    reason = "应申报单位请求延长。"
    r = admin_client.post(change_url(campaign), {"ends_at": "2001-01-01T17:00", "reason": reason})
    assert r.status_code == 200
    assert "新的公示截止时间必须晚于现在。" in text_of(r) and reason in r.content.decode()

    with commit():
        r = admin_client.post(
            change_url(campaign), {"ends_at": "2031-05-08T17:00", "reason": reason}
        )
    assert r.status_code == 302 and "公示期已调整" in message_text(r)
    campaign.refresh_from_db()
    assert campaign.notice_ends_at == datetime(2031, 5, 8, 9, 0, tzinfo=UTC)


def test_the_notice_change_page_sends_back_when_the_notice_is_over(noticed, admin_client):
    end_notice(noticed["campaign"])
    r = admin_client.get(change_url(noticed["campaign"]))
    assert r.status_code == 302 and "只有公示期内才能调整公示期。" in message_text(r)


# --- 发布评选结果: the confirmation page and the announcement date ---------------------------


def test_the_publish_confirmation_counts_the_cases_and_the_recipients_it_will_notify(
    noticed, admin_client, commit
):
    campaign = noticed["campaign"]
    end_notice(campaign)

    r = admin_client.get(publish_url(campaign))

    assert r.status_code == 200
    assert impact_rows(r) == {"最佳实践案例": 1, "优秀实践案例": 2, "不获奖": 2}
    # 单位甲 (two active accounts) and 单位乙 (one); 单位丙 has no account; no expert.
    assert "将通知 2 个申报单位、0 位专家" in text_of(r)
    today = timezone.localdate()
    assert f'value="{today:%Y-%m-%d}"' in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE

    with commit():
        r = admin_client.post(publish_url(campaign), {"announced_on": f"{today:%Y-%m-%d}"})
    assert r.status_code == 302 and "评选结果已发布" in message_text(r)
    # The numbers were the service's own recipients.
    sent = Notification.objects.filter(kind="case_outcome").select_related("recipient")
    assert len({n.recipient.organisation_id for n in sent}) == 2
    impact = publication_selectors.publication_impact(campaign)
    assert impact.recipients == len({n.recipient_id for n in sent}) == 3


def test_the_announcement_date_is_editable_and_shown_on_the_results_home_and_json(
    noticed, admin_client, client, commit
):
    campaign = noticed["campaign"]
    end_notice(campaign)
    with commit():
        r = admin_client.post(publish_url(campaign), {"announced_on": "2031-01-28"})
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.announced_on == date(2031, 1, 28)

    assert "揭晓日期:2031年1月28日" in page(client, f"/results/{campaign.year}/")
    home = page(client, "/")  # the latest public campaign: this one
    assert campaign.title in home and "揭晓日期:2031年1月28日" in home
    data = json.loads(page(client, f"/api/results/{campaign.year}.json"))
    assert data["announced_on"] == "2031-01-28"
    manifest = json.loads(page(client, f"/api/results/{campaign.year}/manifest.json"))
    assert manifest["campaign"]["announced_on"] == "2031-01-28"


def test_publishing_without_a_date_announces_the_day_of_publication(noticed, admin):
    campaign = noticed["campaign"]
    end_notice(campaign)
    publication_services.publish_results(campaign=campaign, by=admin)
    campaign.refresh_from_db()
    assert campaign.announced_on == timezone.localdate()


def test_a_bad_announcement_date_keeps_what_was_typed_and_publishes_nothing(noticed, admin_client):
    campaign = noticed["campaign"]
    end_notice(campaign)
    r = admin_client.post(publish_url(campaign), {"announced_on": "2031-02-30"})
    assert r.status_code == 200
    assert 'value="2031-02-30"' in r.content.decode()
    assert "有效的日期" in text_of(r)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE and campaign.announced_on is None


def test_the_publish_confirmation_says_why_it_cannot_publish_yet(noticed, admin_client):
    campaign = noticed["campaign"]
    r = admin_client.get(publish_url(campaign))
    assert r.status_code == 200
    assert "结束后才能发布" in text_of(r)
    assert impact_rows(r)["最佳实践案例"] == 1  # the numbers already
    assert re.search(r"<button[^>]* disabled>确认发布评选结果", r.content.decode())

    r = admin_client.post(publish_url(campaign), {"announced_on": "2031-01-28"})  # forced
    assert r.status_code == 302 and "结束后才能发布" in message_text(r)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE and campaign.announced_on is None


def test_a_published_campaign_has_nothing_to_confirm(noticed, admin, admin_client):
    campaign = noticed["campaign"]
    end_notice(campaign)
    publication_services.publish_results(campaign=campaign, by=admin)
    r = admin_client.get(publish_url(campaign))
    assert r.status_code == 200 and "只有公示中的评选结果可以发布。" in text_of(r)
    assert "<form" not in r.content.decode().split("<main", 1)[-1].split("</main>")[0]


def test_the_campaign_page_goes_to_the_confirmation_not_straight_to_publishing(
    noticed, admin_client
):
    campaign = noticed["campaign"]
    html = admin_client.get(f"/manage/campaigns/{campaign.pk}/").content.decode()
    assert f'href="{publish_url(campaign)}"' in html
    assert not re.search(rf'<form method="post" action="{publish_url(campaign)}"', html)


# --- a correction after publication: its confirmation -----------------------------------------


def test_a_title_correction_is_confirmed_before_it_is_recorded(noticed, admin, admin_client):
    campaign, case = noticed["campaign"], noticed["cases"]["数字政府"]
    end_notice(campaign)
    publication_services.publish_results(campaign=campaign, by=admin)
    url = f"/manage/cases/{case.pk}/correct/"
    form = {"tier": "", "title": "数字政府“一网通办”改革", "summary": case.summary}

    r = admin_client.post(url, {**form, "reason": "名称规范。"})
    text = text_of(r)
    assert "将记录 1 项更正" in text and "数字政府“一网通办” → 数字政府“一网通办”改革" in text
    assert "结果清单将新增第 2 版" in text and "各等次的案例数将变为" not in text
    assert 'name="confirm" value="1"' in r.content.decode()
    assert Case.objects.get(pk=case.pk).title == case.title

    r = admin_client.post(url, {**form, "reason": "名称规范。", "confirm": "1"})
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).title == "数字政府“一网通办”改革"


def test_a_correction_that_changes_nothing_is_not_offered(noticed, admin, admin_client):
    campaign, case = noticed["campaign"], noticed["cases"]["数字政府"]
    end_notice(campaign)
    publication_services.publish_results(campaign=campaign, by=admin)
    r = admin_client.post(
        f"/manage/cases/{case.pk}/correct/",
        {"tier": "", "title": case.title, "summary": case.summary, "reason": "无"},
    )
    assert r.status_code == 200 and "没有需要更正的内容。" in text_of(r)
    assert 'name="confirm"' not in r.content.decode()


# --- the locality's own pages -----------------------------------------------------------------


def locality_pages(user, case):
    client = Client()
    client.force_login(user)
    return text_of(client.get("/cases/mine/")), text_of(client.get(f"/cases/mine/{case.pk}/"))


def test_before_the_notice_a_locality_sees_no_tier(scene):
    mine, detail = locality_pages(scene["users"]["甲1"], scene["cases"]["数字政府"])
    for text in (mine, detail):
        assert "公示中" not in text and "最佳实践案例" not in text and "拟评为" not in text
        assert "等待结果" in text


def test_during_the_notice_a_locality_sees_its_proposed_tier_without_rank(noticed):
    mine, detail = locality_pages(noticed["users"]["甲1"], noticed["cases"]["数字政府"])
    for text in (mine, detail):
        assert "公示中" in text and "拟评为“最佳实践案例”" in text
        assert "等待结果" not in text and "排名第" not in text
    assert "拟评为“优秀实践案例”" in mine  # 基层治理, the organisation's other case
    # 营商环境 is 单位乙's: not on 单位甲's page.
    assert noticed["cases"]["营商环境"].title not in mine


def test_after_publication_a_locality_sees_its_tier_and_rank(noticed, admin):
    campaign = noticed["campaign"]
    end_notice(campaign)
    publication_services.publish_results(campaign=campaign, by=admin)
    mine, detail = locality_pages(noticed["users"]["甲1"], noticed["cases"]["数字政府"])
    assert "最佳实践案例" in detail and "排名第 1 位" in detail and "评选结果已发布" in detail
    assert "排名第 2 位" in mine  # 基层治理
    for text in (mine, detail):
        assert "等待结果" not in text and "公示中" not in text
    other, _ = locality_pages(noticed["users"]["乙"], noticed["cases"]["营商环境"])
    assert "优秀实践案例" in other and "排名第 3 位" in other and "未获奖" in other  # 未进评审


def test_the_outcome_is_translated(noticed):
    client = Client()
    client.force_login(noticed["users"]["甲1"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/cases/mine/").content.decode()
    with override("en"):
        on_notice = gettext("公示中")
        proposed = gettext("拟评为“%(tier)s”") % {"tier": "最佳实践案例"}
    assert on_notice != "公示中"  # the campaign status, already in the catalogue
    assert on_notice in html and proposed in html


def test_my_cases_page_queries_do_not_grow_with_the_cases(noticed):
    user = noticed["users"]["甲1"]
    client = Client()
    client.force_login(user)
    client.get("/cases/mine/")  # warm the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases/mine/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    campaign = noticed["campaign"]
    for i in range(12):
        Case.objects.create(
            campaign=campaign,
            organisation=user.organisation,
            title=f"更多案例{i}",
            status="accepted",
            outcome="awarded",
            tier=campaign.excellent,
            rank=10 + i,
            created_by=UserFactory(locality=True, organisation=user.organisation),
        )
    assert count() == few


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_confirmation_pages_queries_do_not_grow_with_the_cases(scene, admin_client):
    campaign, round = scene["campaign"], scene["round"]
    url = notice_url(round)
    queries(admin_client, url)  # warm the session
    notice_few = queries(admin_client, url)
    more = [
        Case.objects.create(
            campaign=campaign,
            organisation=UserFactory(locality=True).organisation,
            title=f"公示前补充的案例{i}",
            status="accepted",
        )
        for i in range(10)
    ]
    assert len(more) == 10
    assert queries(admin_client, url) == notice_few

    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.NOTICE, notice_ends_at=timezone.now()
    )
    Case.objects.filter(pk__in=[c.pk for c in more[:5]]).update(
        outcome="awarded", tier=campaign.excellent
    )
    publish = publish_url(campaign)
    publish_many = queries(admin_client, publish)
    Case.objects.filter(pk__in=[c.pk for c in more]).delete()
    assert queries(admin_client, publish) == publish_many
