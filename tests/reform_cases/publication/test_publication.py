"""Public notice (公示), objections, publication, corrections, statistics and open data.

A locked ranking is built with the ORM and the ranking services (tests/factories.py);
everything after that goes through the services and views under test. Public pages are
cached until a service invalidates them after its transaction commits, so state changes
made inside a test run under `django_capture_on_commit_callbacks(execute=True)`.
"""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from common.exceptions import InvalidTransition
from notifications.models import Notification
from reform_cases.models import (
    Campaign,
    CampaignStatus,
    CampaignStatusChange,
    Case,
    CaseOutcome,
    CaseStatus,
    Correction,
    Objection,
    ObjectionStatus,
)
from reform_cases.publication import services as publication_services
from reviews.ranking import services as ranking
from tests.factories import (
    CampaignFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    make_closed_round,
    ranking_campaign,
)
from tests.helpers import reference_rows

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VALID_TEXT = "该案例申报材料中的成效数据与统计公报不一致,请核实。"
# The four cases' basis values (three reviews each, so the mean): never public.
SCORES = ("91.33", "82.33", "74.33", "61.33", "91.3", "82.3", "74.3", "61.3")


# --- the scene -------------------------------------------------------------------------


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block registered for after commit (cache invalidation)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方")


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def scene(admin):
    """A locked ranking: quotas best 1, excellent 2.

    数字政府 (单位甲)   90 91 93 → 91.33  best, rank 1
    基层治理 (单位甲)   80 82 85 → 82.33  excellent, rank 2
    营商环境 (单位乙)   70 75 78 → 74.33  excellent, rank 3
    乡村振兴 (单位丙)   60 61 63 → 61.33  no tier (4th) → not awarded
    未进评审 (单位乙)   accepted, never reviewed      → not awarded
    已撤回   (单位乙)   withdrawn                      → untouched
    单位甲 has two locality users (and one deactivated), 单位乙 one, 单位丙 none.
    """
    campaign = ranking_campaign(best=1, excellent=2, title="测试年度改革创新实践案例")
    city_a, city_b = CityFactory(name="甲市"), CityFactory(name="乙市")
    units = {
        "甲": CountyFactory(name="单位甲", parent=city_a),
        "乙": CountyFactory(name="单位乙", parent=city_b),
        "丙": CountyFactory(name="单位丙", parent=city_a),
    }
    digital, grassroots = FieldFactory(name="数字化改革"), FieldFactory(name="基层治理")

    def case(title, unit, field, **kwargs):
        u = units[unit]
        return accepted_case_for_ranking(
            campaign, title, organisation=u, region=u.parent, field=field, **kwargs
        )

    cases = {
        "数字政府": case("数字政府“一网通办”", "甲", digital),
        "基层治理": case("基层治理“四平台”", "甲", grassroots),
        "营商环境": case("营商环境“一窗受理”", "乙", digital),
        "乡村振兴": case("乡村振兴共富工坊", "丙", grassroots),
        "未进评审": case("未进入评审的案例", "乙", digital),
        "已撤回": case("已撤回的案例", "乙", digital, status=CaseStatus.WITHDRAWN),
    }
    round = make_closed_round(campaign)
    add_reviews(
        round,
        {
            cases["数字政府"]: [90, 91, 93],
            cases["基层治理"]: [80, 82, 85],
            cases["营商环境"]: [70, 75, 78],
            cases["乡村振兴"]: [60, 61, 63],
        },
    )
    ranking.compute_ranking(review_round=round, by=admin)
    ranking.lock_ranking(review_round=round, by=admin)
    users = {
        "甲1": UserFactory(locality=True, organisation=units["甲"]),
        "甲2": UserFactory(locality=True, organisation=units["甲"]),
        "甲停用": UserFactory(locality=True, organisation=units["甲"], is_active=False),
        "乙": UserFactory(locality=True, organisation=units["乙"]),
    }
    campaign.refresh_from_db()
    return {"campaign": campaign, "round": round, "cases": cases, "users": users}


@pytest.fixture
def noticed(scene, admin, commit):
    with commit():
        ranking.publish_notice_from_ranking(
            review_round=scene["round"], by=admin, ends_at=timezone.now() + timedelta(days=7)
        )
    scene["campaign"].refresh_from_db()
    for c in scene["cases"].values():
        c.refresh_from_db()
    return scene


def end_notice(campaign):
    """Move time: the notice ended a minute ago (no sleeping)."""
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    campaign.refresh_from_db()


def objection_url(campaign):
    return f"/results/{campaign.year}/objection/"


def objection_data(case=None, **overrides):
    data = {"case": case.pk if case else "", "name": "王先生", "contact": "13800000000"}
    data["text"] = VALID_TEXT
    data.update(overrides)
    return data


def page(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.content.decode()


def tier_section(html, code):
    match = re.search(rf'<section[^>]*id="tier-{code}"[^>]*>(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


# --- the notice ----------------------------------------------------------------------------


def test_notice_copies_tiers_and_ranks_onto_the_cases(noticed, admin):
    campaign, c = noticed["campaign"], noticed["cases"]
    assert campaign.status == CampaignStatus.NOTICE
    assert campaign.notice_ends_at > timezone.now()
    assert campaign.published_at is None

    assert (c["数字政府"].tier, c["数字政府"].rank) == (campaign.best, 1)
    assert (c["基层治理"].tier, c["基层治理"].rank) == (campaign.excellent, 2)
    assert (c["营商环境"].tier, c["营商环境"].rank) == (campaign.excellent, 3)
    for key in ("数字政府", "基层治理", "营商环境"):
        assert c[key].outcome == CaseOutcome.AWARDED
    for key in ("乡村振兴", "未进评审"):
        assert c[key].outcome == CaseOutcome.NOT_AWARDED
        assert c[key].tier is None and c[key].rank is None
    assert c["已撤回"].outcome == CaseOutcome.PENDING  # not an accepted case
    assert c["数字政府"].final_score == Decimal("91.33")  # kept internally, never shown

    change = CampaignStatusChange.objects.filter(campaign=campaign).first()
    assert (change.from_status, change.to_status, change.actor) == ("locked", "notice", admin)


def test_notice_copies_the_overridden_tier(scene, admin):
    campaign, round = scene["campaign"], scene["round"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RANKING)
    entry = round.ranking.get(case=scene["cases"]["乡村振兴"])
    ranking.override_tier(entry=entry, by=admin, tier=campaign.excellent, reason="复核加分")
    ranking.lock_ranking(review_round=round, by=admin)

    ranking.publish_notice_from_ranking(
        review_round=round, by=admin, ends_at=timezone.now() + timedelta(days=5)
    )

    case = Case.objects.get(pk=scene["cases"]["乡村振兴"].pk)
    assert case.outcome == CaseOutcome.AWARDED and case.tier == campaign.excellent


def test_notice_refused_unless_the_ranking_is_locked(scene, admin):
    campaign = scene["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RANKING)
    with pytest.raises(InvalidTransition) as exc:
        ranking.publish_notice_from_ranking(
            review_round=scene["round"], by=admin, ends_at=timezone.now() + timedelta(days=5)
        )
    assert "排名锁定后才能发布公示" in " ".join(exc.value.messages)
    assert not Case.objects.filter(campaign=campaign, outcome=CaseOutcome.AWARDED).exists()


def test_notice_refused_with_an_end_in_the_past(scene, admin):
    with pytest.raises(ValidationError) as exc:
        ranking.publish_notice_from_ranking(
            review_round=scene["round"], by=admin, ends_at=timezone.now() - timedelta(hours=1)
        )
    assert "公示截止时间必须晚于现在" in " ".join(exc.value.messages)
    scene["campaign"].refresh_from_db()
    assert scene["campaign"].status == CampaignStatus.LOCKED


def test_notice_view_reads_the_end_in_shanghai_time(scene, admin_client, commit, client):
    campaign = scene["campaign"]
    with commit():
        r = admin_client.post(
            f"/manage/rounds/{scene['round'].pk}/ranking/notice/",
            {"ends_at": "2031-05-01T18:00"},
            follow=True,
        )
    assert "公示已发布" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    assert campaign.notice_ends_at == datetime(2031, 5, 1, 10, 0, tzinfo=UTC)  # 18:00 +08:00
    assert "公示期至 2031年5月1日 18:00" in page(client, f"/results/{campaign.year}/")


def test_generic_status_form_cannot_skip_to_notice_or_published(scene, admin_client):
    campaign = scene["campaign"]
    refusals = {
        "notice": "发布公示请在排名页面操作",
        "published": "不能从“结果锁定”直接变更为“已发布”",
    }
    for target, message in refusals.items():
        r = admin_client.post(
            f"/manage/campaigns/{campaign.pk}/status/", {"to": target, "note": ""}, follow=True
        )
        assert message in r.content.decode()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.LOCKED


def test_before_the_notice_nothing_is_public(scene, client):
    campaign, c = scene["campaign"], scene["cases"]
    year = campaign.year
    for url in (
        f"/results/{year}/",
        f"/results/{year}/stats/",
        f"/results/{year}/export.csv",
        f"/results/{year}/export.xlsx",
        f"/api/results/{year}.json",
        objection_url(campaign),
        f"/cases/{c['数字政府'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert campaign.title not in page(client, "/results/")


def test_during_the_notice_the_proposed_list_is_public_without_scores(noticed, client):
    campaign, c = noticed["campaign"], noticed["cases"]
    html = page(client, f"/results/{campaign.year}/")

    assert "公示中" in html
    ends = timezone.localtime(campaign.notice_ends_at)
    assert f"公示期至 {ends.year}年{ends.month}月{ends.day}日 {ends:%H:%M}" in html
    assert f'href="/results/{campaign.year}/objection/"' in html
    assert c["数字政府"].title in tier_section(html, "best")
    assert c["基层治理"].title in tier_section(html, "excellent")
    assert c["营商环境"].title in tier_section(html, "excellent")
    for key in ("乡村振兴", "未进评审", "已撤回"):
        assert c[key].title not in html
    for score in SCORES:
        assert score not in html

    case_html = page(client, f"/cases/{c['数字政府'].pk}/")
    assert "公示中" in case_html and f"objection/?case={c['数字政府'].pk}" in case_html
    assert client.get(f"/cases/{c['乡村振兴'].pk}/").status_code == 404


# --- objections ------------------------------------------------------------------------------


def test_valid_objection_is_stored_listed_and_announced_to_administrators(
    noticed, client, admin, admin_client
):
    campaign, case = noticed["campaign"], noticed["cases"]["营商环境"]
    other_admin = UserFactory(administrator=True)
    UserFactory(administrator=True, is_active=False)

    r = client.post(objection_url(campaign), objection_data(case), REMOTE_ADDR="198.51.100.4")

    assert r.status_code == 302 and r["Location"] == f"/results/{campaign.year}/"
    item = Objection.objects.get()
    assert (item.campaign, item.case, item.name, item.contact) == (
        campaign, case, "王先生", "13800000000"
    )  # fmt: skip
    assert item.text == VALID_TEXT
    assert item.ip_address == "198.51.100.4"
    assert item.status == ObjectionStatus.OPEN
    assert "异议已收到" in client.get(r["Location"]).content.decode()

    listing = page(admin_client, f"/manage/campaigns/{campaign.pk}/objections/")
    assert "王先生" in listing and VALID_TEXT in listing and case.title in listing
    assert "待答复" in listing

    notes = Notification.objects.filter(kind="objection_received")
    assert {n.recipient for n in notes} == {admin, other_admin}
    assert all(n.target == f"reform_cases.objection:{item.pk}" for n in notes)


def test_objection_form_from_the_case_page_preselects_the_case(noticed, client):
    campaign, case = noticed["campaign"], noticed["cases"]["基层治理"]
    html = page(client, f"{objection_url(campaign)}?case={case.pk}")
    assert re.search(rf'<option value="{case.pk}" selected>', html)
    # Only cases on the proposed list can be chosen.
    assert noticed["cases"]["乡村振兴"].title not in html


def test_sixth_objection_from_one_address_in_a_day_is_refused(noticed, client):
    campaign = noticed["campaign"]
    for n in range(5):  # five different objections (the same one twice is stored once)
        r = client.post(
            objection_url(campaign),
            objection_data(text=f"{VALID_TEXT}第{n + 1}条。"),
            REMOTE_ADDR="203.0.113.7",
        )
        assert r.status_code == 302

    r = client.post(objection_url(campaign), objection_data(), REMOTE_ADDR="203.0.113.7")

    assert r.status_code == 200
    assert "同一网络地址每天最多提交 5 条异议" in r.content.decode()
    assert Objection.objects.count() == 5
    # Another address is not affected; a day later the first one may object again.
    r = client.post(objection_url(campaign), objection_data(), REMOTE_ADDR="203.0.113.8")
    assert r.status_code == 302
    Objection.objects.filter(ip_address="203.0.113.7").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    r = client.post(objection_url(campaign), objection_data(), REMOTE_ADDR="203.0.113.7")
    assert r.status_code == 302
    assert Objection.objects.count() == 7


@pytest.mark.parametrize(
    "text,error",
    [
        ("", "这个字段是必填项"),
        ("   ", "这个字段是必填项"),
        ("太短了", "至少 10 个字"),
        ("异" * 5001, "5000"),
    ],
    ids=["empty", "blank", "too-short", "too-long"],
)
def test_bad_objection_text_gets_a_form_error_and_keeps_what_was_typed(
    noticed, client, text, error
):
    campaign = noticed["campaign"]
    r = client.post(objection_url(campaign), objection_data(name="李女士(某村村民)", text=text))

    assert r.status_code == 200
    html = r.content.decode()
    assert error in html
    assert 'value="李女士(某村村民)"' in html
    assert 'value="13800000000"' in html
    if text.strip():
        assert text in html  # the textarea keeps the text
    assert not Objection.objects.exists()


def test_objection_with_xss_is_shown_escaped_to_administrators(noticed, client, admin_client):
    campaign = noticed["campaign"]
    payload_name = "<script>alert('name')</script>"
    payload_text = '<img src=x onerror="alert(1)"> 请核实该案例的成效数据是否属实。'
    r = client.post(objection_url(campaign), objection_data(name=payload_name, text=payload_text))
    assert r.status_code == 302

    html = page(admin_client, f"/manage/campaigns/{campaign.pk}/objections/")

    assert payload_name not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_objection_with_a_renamed_executable_is_refused(noticed, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = noticed["campaign"]
    fake = SimpleUploadedFile("证据.pdf", b"MZ\x90\x00" + b"\x00" * 200)

    r = client.post(objection_url(campaign), {**objection_data(), "file": fake})

    assert r.status_code == 200
    html = r.content.decode()
    assert "不是有效的" in html and "证据.pdf" in html
    assert 'value="王先生"' in html
    assert not Objection.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))


def test_objection_with_a_pdf_is_kept_for_administrators_only(
    noticed, client, admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    campaign = noticed["campaign"]
    upload = SimpleUploadedFile("证据.pdf", PDF, content_type="application/pdf")
    assert (
        client.post(objection_url(campaign), {**objection_data(), "file": upload}).status_code
        == 302
    )
    item = Objection.objects.get()
    url = f"/manage/objections/{item.pk}/file/"

    r = admin_client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert client.get(url).status_code == 302  # anonymous → log in
    locality = Client()
    locality.force_login(noticed["users"]["乙"])
    assert locality.get(url).status_code == 403
    assert locality.get(f"/manage/campaigns/{campaign.pk}/objections/").status_code == 403


def test_no_objection_outside_the_notice(noticed, client, admin, commit):
    campaign = noticed["campaign"]
    end_notice(campaign)
    with pytest.raises(InvalidTransition):
        publication_services.submit_objection(
            campaign=campaign, name="迟到", contact="x", text=VALID_TEXT, ip="192.0.2.1"
        )
    with commit():
        publication_services.publish_results(campaign=campaign, by=admin)
    assert client.get(objection_url(campaign)).status_code == 404


# --- publication ------------------------------------------------------------------------------


def test_publishing_before_the_notice_ends_is_refused_with_the_reason(noticed, admin, admin_client):
    campaign = noticed["campaign"]
    ends = timezone.localtime(campaign.notice_ends_at).strftime("%Y-%m-%d %H:%M")

    with pytest.raises(InvalidTransition) as exc:
        publication_services.publish_results(campaign=campaign, by=admin)
    assert f"公示期至 {ends} 结束,结束后才能发布" in " ".join(exc.value.messages)

    r = admin_client.post(f"/manage/campaigns/{campaign.pk}/publish/", follow=True)
    assert f"公示期至 {ends} 结束" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE and campaign.published_at is None
    assert not Notification.objects.filter(kind="case_outcome").exists()


def test_publishing_with_an_unanswered_objection_is_refused_with_the_reason(
    noticed, client, admin_client
):
    campaign = noticed["campaign"]
    client.post(objection_url(campaign), objection_data(noticed["cases"]["数字政府"]))
    end_notice(campaign)

    r = admin_client.post(f"/manage/campaigns/{campaign.pk}/publish/", follow=True)

    assert "还有 1 条异议未答复" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    assert not Notification.objects.filter(kind="case_outcome").exists()


def test_answer_needs_a_decision_and_a_written_answer(noticed, client, admin_client):
    campaign = noticed["campaign"]
    client.post(objection_url(campaign), objection_data())
    item = Objection.objects.get()
    r = admin_client.post(
        f"/manage/objections/{item.pk}/answer/",
        {"decision": "dismissed", "answer": ""},
        follow=True,
    )
    assert "请选择处理结果并填写书面答复" in r.content.decode()
    item.refresh_from_db()
    assert item.status == ObjectionStatus.OPEN


def test_after_answers_and_the_end_date_publication_notifies_every_locality(
    noticed, client, admin, admin_client, commit
):
    campaign, c, users = noticed["campaign"], noticed["cases"], noticed["users"]
    client.post(objection_url(campaign), objection_data(c["数字政府"]))
    item = Objection.objects.get()
    answer = "经核实,成效数据来源于2020年统计公报,异议不成立。"
    r = admin_client.post(
        f"/manage/objections/{item.pk}/answer/",
        {"decision": "dismissed", "answer": answer},
        follow=True,
    )
    assert "答复已保存" in r.content.decode()
    item.refresh_from_db()
    assert (item.status, item.answer, item.answered_by) == ("dismissed", answer, admin)
    assert item.answered_at is not None
    assert answer in page(admin_client, f"/manage/campaigns/{campaign.pk}/objections/")
    notice_html = page(client, f"/results/{campaign.year}/")  # cached during the notice
    assert "公示中" in notice_html
    end_notice(campaign)

    with commit():
        r = admin_client.post(f"/manage/campaigns/{campaign.pk}/publish/", follow=True)

    assert "评选结果已发布" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.published_at is not None
    assert abs(campaign.published_at - timezone.now()) < timedelta(minutes=1)

    html = page(client, f"/results/{campaign.year}/")
    assert "公示中" not in html and "以下为拟入选名单" not in html
    assert c["数字政府"].title in tier_section(html, "best")
    assert c["基层治理"].title in tier_section(html, "excellent")
    assert c["营商环境"].title in tier_section(html, "excellent")
    assert c["乡村振兴"].title not in html
    for score in SCORES:
        assert score not in html

    # One outcome notification per case and per active locality user of its organisation.
    sent = {(n.recipient_id, n.target): n for n in Notification.objects.filter(kind="case_outcome")}
    expected = {
        (users[u].pk, f"reform_cases.case:{c[k].pk}")
        for u, keys in (("甲1", ["数字政府", "基层治理"]), ("甲2", ["数字政府", "基层治理"]),
                        ("乙", ["营商环境", "未进评审"]))
        for k in keys
    }  # fmt: skip
    assert set(sent) == expected
    assert (
        "获评“最佳实践案例”"
        in sent[(users["甲1"].pk, f"reform_cases.case:{c['数字政府'].pk}")].body
    )
    assert "本次未获奖" in sent[(users["乙"].pk, f"reform_cases.case:{c['未进评审'].pk}")].body
    assert (
        f"/results/{campaign.year}/"
        in sent[(users["乙"].pk, f"reform_cases.case:{c['营商环境'].pk}")].link
    )


def test_upheld_objection_with_a_new_tier_records_a_correction_shown_publicly(
    noticed, client, admin, admin_client, commit
):
    campaign, c = noticed["campaign"], noticed["cases"]
    page(client, f"/results/{campaign.year}/")  # fill the cache first
    client.post(objection_url(campaign), objection_data(c["营商环境"]))
    item = Objection.objects.get()
    answer = "申报材料存在重复计算,等次调整为不获奖。"

    with commit():
        admin_client.post(
            f"/manage/objections/{item.pk}/answer/",
            {"decision": "upheld", "answer": answer, "tier": "none"},
        )

    item.refresh_from_db()
    assert item.status == ObjectionStatus.UPHELD
    case = Case.objects.get(pk=c["营商环境"].pk)
    assert case.outcome == CaseOutcome.NOT_AWARDED and case.tier is None
    correction = Correction.objects.get()
    assert (correction.case, correction.field_name, correction.actor) == (case, "award", admin)
    assert (correction.old_value, correction.new_value) == ("优秀实践案例", "未获奖")
    assert answer in correction.reason

    html = page(client, f"/results/{campaign.year}/")
    corrections = re.search(r'<section[^>]*id="corrections".*?</section>', html, re.S).group(0)
    assert case.title in corrections and answer in corrections
    assert "“优秀实践案例” → “未获奖”" in corrections
    assert case.title not in tier_section(html, "excellent")


def test_upheld_objection_raising_a_tier(noticed, client, admin, commit):
    campaign, c = noticed["campaign"], noticed["cases"]
    client.post(objection_url(campaign), objection_data(c["基层治理"]))
    item = Objection.objects.get()
    with commit():
        publication_services.answer_objection(
            objection=item, by=admin, decision=ObjectionStatus.UPHELD, answer="评分有误",
            new_award=(campaign.best, CaseOutcome.AWARDED),
        )  # fmt: skip
    assert Case.objects.get(pk=c["基层治理"].pk).tier == campaign.best
    assert Correction.objects.get().new_value == "最佳实践案例"
    assert c["基层治理"].title in tier_section(page(client, f"/results/{campaign.year}/"), "best")


def test_correction_after_publication_appears_publicly_with_its_reason(
    noticed, client, admin, admin_client, commit
):
    campaign, c = noticed["campaign"], noticed["cases"]
    end_notice(campaign)
    with commit():
        publication_services.publish_results(campaign=campaign, by=admin)
    case = c["数字政府"]
    page(client, f"/results/{campaign.year}/")  # cached
    url = f"/manage/cases/{case.pk}/correct/"
    form = {"tier": campaign.excellent.pk, "title": case.title, "summary": case.summary}

    r = admin_client.post(url, {**form, "reason": ""})
    assert r.status_code == 200 and not Correction.objects.exists()
    assert "这个字段是必填项" in r.content.decode()

    reason = "省委改革办2021年3月复核通知:等次更正为优秀实践案例。"
    # The first POST is the confirmation: what will change, in numbers; nothing changed yet.
    r = admin_client.post(url, {**form, "reason": reason})
    assert r.status_code == 200 and not Correction.objects.exists()
    confirm = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.content.decode()))
    assert "将记录 1 项更正" in confirm and "最佳实践案例 → 优秀实践案例" in confirm
    assert "最佳实践案例:1 个 → 0 个" in confirm and "优秀实践案例:2 个 → 3 个" in confirm
    assert "结果清单将新增第 2 版" in confirm and "将通知 0 个申报单位、0 位专家" in confirm
    with commit():
        r = admin_client.post(url, {**form, "reason": reason, "confirm": "1"})
    assert r.status_code == 302 and r["Location"] == f"/results/{campaign.year}/"

    correction = Correction.objects.get()
    assert (correction.old_value, correction.new_value, correction.reason) == (
        "最佳实践案例", "优秀实践案例", reason
    )  # fmt: skip
    html = page(client, f"/results/{campaign.year}/")
    corrections = re.search(r'<section[^>]*id="corrections".*?</section>', html, re.S).group(0)
    assert reason in corrections and case.title in corrections
    assert case.title in tier_section(html, "excellent")
    assert case.title not in tier_section(html, "best")


def test_locality_cannot_publish_or_answer(noticed, client):
    campaign = noticed["campaign"]
    client.post(objection_url(campaign), objection_data())
    item = Objection.objects.get()
    end_notice(campaign)
    Objection.objects.update(status=ObjectionStatus.DISMISSED, answer="不成立")
    locality = Client()
    locality.force_login(noticed["users"]["甲1"])
    assert locality.post(f"/manage/campaigns/{campaign.pk}/publish/").status_code == 403
    Objection.objects.update(status=ObjectionStatus.OPEN, answer="")
    r = locality.post(
        f"/manage/objections/{item.pk}/answer/", {"decision": "dismissed", "answer": "x"}
    )
    assert r.status_code == 403
    campaign.refresh_from_db()
    item.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE and item.status == ObjectionStatus.OPEN


def test_published_pages_and_open_data_carry_no_score(noticed, client, admin, commit):
    campaign = noticed["campaign"]
    end_notice(campaign)
    with commit():
        publication_services.publish_results(campaign=campaign, by=admin)
    year = campaign.year
    data = json.loads(page(client, f"/api/results/{year}.json"))
    keys = set(data) | {k for item in data["cases"] for k in item}
    assert not any("score" in k or "mean" in k for k in keys)
    assert {item["title"] for item in data["cases"]} == {
        noticed["cases"][k].title for k in ("数字政府", "基层治理", "营商环境")
    }
    for url in (f"/results/{year}/", f"/results/{year}/stats/", f"/results/{year}/export.csv",
                f"/api/results/{year}.json", f"/cases/{noticed['cases']['数字政府'].pk}/"):  # fmt: skip
        r = client.get(url)
        body = (b"".join(r.streaming_content) if r.streaming else r.content).decode()
        for score in SCORES:
            assert score not in body, (url, score)


# --- statistics and open data for 2020 (the shipped fixtures) ---------------------------------


def stats_tables(html):
    """{section heading: {row name: [total, per tier..., selected]}} from the statistics page."""
    tables = {}
    for heading, body in re.findall(r"<h2[^>]*>(.*?)</h2>(.*?)</section>", html, re.S):
        rows = {}
        for row in re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", body, re.S):
            name, cells = row
            rows[name] = [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', cells)]
        tables[heading.strip()] = rows
    return tables


def test_2020_statistics_match_the_fixture_and_say_the_list_is_incomplete(
    published_fixtures, client
):
    html = page(client, "/results/2020/stats/")

    assert "名单尚不完整:以下只统计已公布的 12 个案例" in html
    assert "最佳实践案例 6 / 10" in html and "优秀实践案例 3 / 40" in html
    tables = stats_tables(html)
    by_region, by_field = tables["按地区"], tables["按领域"]
    # Columns: total, best, excellent, selected (tier unpublished).
    assert by_region["杭州市"] == [4, 2, 2, 0]
    assert by_region["浙江省"] == [3, 2, 1, 0]
    assert by_region["嘉兴市"] == [1, 1, 0, 0]
    assert by_region["温州市"] == [1, 1, 0, 0]
    assert by_region["宁波市"] == [1, 0, 0, 1]
    assert by_region["衢州市"] == [1, 0, 0, 1]
    assert by_region["金华市"] == [1, 0, 0, 1]
    assert len(by_region) == 7
    assert by_field["公共服务"] == [2, 2, 0, 0]
    assert by_field["民主法治"] == [2, 1, 0, 1]
    assert by_field["营商环境"] == [2, 0, 1, 1]
    assert by_field["企业和个人“一件事”"] == [2, 1, 1, 0]
    assert by_field["党建纪检"] == [1, 0, 1, 0]

    # The same counts, worked out from the reference CSV.
    expected_region, expected_field = {}, {}
    for row in reference_rows():
        for table, key in ((expected_region, row["region"]), (expected_field, row["field"])):
            counts = table.setdefault(key, [0, 0, 0, 0])
            counts[0] += 1
            counts[{"best": 1, "excellent": 2, "selected": 3}[row["tier"]]] += 1
    assert by_region == expected_region
    assert by_field == expected_field
    # The chart: one bar per region, the widest for the largest count.
    assert html.count("<rect") == len(by_region) + len(by_field)
    assert "杭州市:4" in html


def test_2020_open_data_matches_the_csv_export(published_fixtures, client):
    data = json.loads(page(client, "/api/results/2020.json"))
    r = client.get("/results/2020/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))

    assert data["year"] == 2020 and data["complete"] is False
    assert len(data["cases"]) == len(rows) == 12
    tier_label = {t["code"]: t["name"] for t in data["tiers"]}
    from_json = {
        (
            c["title"],
            tier_label[c["tier"]] if c["tier"] else "入选(等次未公布)",
            ";".join(c["units"]),
            c["region"] or "",
            c["field"] or "",
            c["url"],  # both absolute, from SITE_URL
        )
        for c in data["cases"]
    }
    from_csv = {
        (r["title"], r["tier"], r["units"], r["region"], r["field"], r["url"]) for r in rows
    }
    assert from_json == from_csv
    assert all(r["url"].startswith(settings.SITE_URL.rstrip("/") + "/cases/") for r in rows)
    assert {t["code"]: (t["quota"], t["listed"]) for t in data["tiers"]} == {
        "best": (10, 6), "excellent": (40, 3)
    }  # fmt: skip
    text = json.dumps(data, ensure_ascii=False)
    assert "score" not in text and "final" not in text and "mean" not in text
    assert r.status_code == 200


def test_open_data_is_404_for_years_that_are_not_public(published_fixtures, client, scene):
    CampaignFactory(year=2031, status=CampaignStatus.NOTICE, is_demo=True)
    for year in (2099, scene["campaign"].year, 2031):
        assert client.get(f"/api/results/{year}.json").status_code == 404, year
        assert client.get(f"/results/{year}/stats/").status_code == 404, year
    assert client.get("/api/results/2019.json").status_code == 200
