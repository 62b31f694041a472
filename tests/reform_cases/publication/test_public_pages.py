"""The public pages: content, filters, what is not public, language, cache, queries."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Organisation
from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome
from reform_cases.publication.services import correct_case
from site_setup.demo import create_demo_data
from tests.factories import CaseFactory, TierFactory
from tests.helpers import case_2020, city, field, reference_rows, section

pytestmark = pytest.mark.django_db

TITLE_2020 = "2020年度浙江省改革创新实践案例"
TITLE_2019 = "2019年度浙江省改革创新实践案例"
HANGZHOU_TITLES = {
    "“大下姜”联合体模式",
    "杭州“非羁码”互动式监管模式",
    "杭州政商“亲清在线”数字平台",
    "临安区农民建房“一件事”全流程“掌上办”",
}


def html_of(client, url, **extra):
    r = client.get(url, **extra)
    assert r.status_code == 200, (url, r.status_code)
    return r.content.decode()


def titles_in(html):
    return {r["title"] for r in reference_rows() if r["title"] in html}


# --- home and list ----------------------------------------------------------


def test_home_shows_the_latest_campaign_and_its_tiers(client, published_fixtures):
    html = html_of(client, "/")
    assert TITLE_2020 in html
    assert TITLE_2019 not in html
    assert "最佳实践案例" in html and "优秀实践案例" in html
    assert "已公布 6 / 10" in html
    assert "已公布 3 / 40" in html
    assert 'href="/results/2020/"' in html


def test_home_without_public_campaign(client, db):
    html = html_of(client, "/")
    assert "目前还没有公开的评选结果" in html


def test_results_list_shows_every_public_campaign(client, published_fixtures):
    html = html_of(client, "/results/")
    assert TITLE_2020 in html and TITLE_2019 in html
    # Newest first, as selectors.public_campaigns() promises.
    assert html.index(TITLE_2020) < html.index(TITLE_2019)
    assert 'href="/results/2020/"' in html and 'href="/results/2019/"' in html
    assert "已列出 12 个案例" in html and "已列出 1 个案例" in html


@pytest.mark.parametrize(
    "status", [CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.RANKING]
)
def test_results_list_leaves_out_campaigns_that_are_not_public(client, db, status):
    hidden = CaseFactory(campaign__status=status).campaign
    shown = CaseFactory(campaign__status=CampaignStatus.NOTICE).campaign
    html = html_of(client, "/results/")
    assert hidden.title not in html
    assert shown.title in html


# --- /results/2020/ ---------------------------------------------------------


def test_results_page_has_tiers_in_order_with_their_cases(client, published_fixtures):
    html = html_of(client, "/results/2020/")
    positions = [html.index(f'id="{name}"') for name in ("tier-best", "tier-excellent", "selected")]
    assert positions == sorted(positions)

    best, excellent, selected = (
        section(html, name) for name in ("tier-best", "tier-excellent", "selected")
    )
    assert "最佳实践案例" in best and "已公布 6 / 10" in best
    assert "优秀实践案例" in excellent and "已公布 3 / 40" in excellent
    expected = {code: set() for code in ("best", "excellent", "selected")}
    for row in reference_rows():
        expected[row["tier"]].add(row["title"])
    assert titles_in(best) == expected["best"]
    assert titles_in(excellent) == expected["excellent"]
    assert titles_in(selected) == expected["selected"]
    assert len(expected["selected"]) == 3


def test_results_page_shows_unit_region_and_field_of_each_case(client, published_fixtures):
    html = html_of(client, "/results/2020/")
    assert "杭州市、淳安县 · 杭州市 · 乡村振兴" in html
    assert "省委改革办、省公安厅 · 浙江省 · 企业和个人“一件事”" in html
    assert "嘉善县 · 嘉兴市 · 政府数字化转型" in html
    for row in reference_rows():
        case = case_2020(row["title"])
        assert f'href="/cases/{case.pk}/"' in html


def test_results_page_links_the_exports_and_lists_sources(client, published_fixtures):
    html = html_of(client, "/results/2020/")
    assert 'href="/results/2020/export.csv"' in html
    assert 'href="/results/2020/export.xlsx"' in html
    assert "S1" in section(html, "sources")


def test_results_page_of_2019_lists_its_three_tiers(client, published_fixtures):
    html = html_of(client, "/results/2019/")
    assert "已公布 1 / 10" in section(html, "tier-special")
    assert "浙江省深化监察体制改革试点" in section(html, "tier-special")
    assert "已公布 0 / 10" in section(html, "tier-best")
    assert "已公布 0 / 20" in section(html, "tier-excellent")
    assert TITLE_2020 not in html


def test_complete_tier_is_not_called_incomplete(client, db):
    tier = TierFactory(quota=1)
    CaseFactory(campaign=tier.campaign, tier=tier)
    html = html_of(client, f"/results/{tier.campaign.year}/")
    assert "已公布" not in section(html, f"tier-{tier.code}")
    assert "共 1 个" in section(html, f"tier-{tier.code}")


# --- filters ----------------------------------------------------------------


def test_filter_by_region(client, published_fixtures):
    html = html_of(client, "/results/2020/", data={"region": city("杭州市").pk})
    assert titles_in(html) == HANGZHOU_TITLES
    assert "符合条件的案例 4 个" in html


def test_filter_by_field(client, published_fixtures):
    html = html_of(client, "/results/2020/", data={"field": field("民主法治").pk})
    assert titles_in(html) == {"杭州“非羁码”互动式监管模式", "宁波市镇海区法院“自动履行”"}
    # The selected case stays in its own section.
    assert "宁波市镇海区法院“自动履行”" in section(html, "selected")


def test_filters_combine(client, published_fixtures):
    hangzhou = city("杭州市").pk
    html = html_of(
        client, "/results/2020/", data={"region": hangzhou, "field": field("民主法治").pk}
    )
    assert titles_in(html) == {"杭州“非羁码”互动式监管模式"}
    html = html_of(
        client, "/results/2020/", data={"region": hangzhou, "field": field("营商环境").pk}
    )
    assert titles_in(html) == {"杭州政商“亲清在线”数字平台"}
    html = html_of(
        client, "/results/2020/", data={"region": hangzhou, "field": field("生态环境").pk}
    )
    assert titles_in(html) == set()
    assert "没有符合条件的案例" in html


def test_filter_keeps_the_tier_counts_of_the_whole_campaign(client, published_fixtures):
    html = html_of(client, "/results/2020/", data={"region": city("温州市").pk})
    assert titles_in(html) == {"温州市为侨服务“全球通”平台"}
    assert "已公布 6 / 10" in section(html, "tier-best")


def test_filter_options_list_the_regions_and_fields_of_the_campaign(client, published_fixtures):
    html = html_of(client, "/results/2020/")
    assert f'<option value="{city("衢州市").pk}">衢州市</option>' in html
    assert f'value="{city("丽水市").pk}"' not in html  # no 2020 case from 丽水
    assert f'value="{field("党建纪检").pk}"' in html


def test_filtered_pages_are_cached_separately(client, published_fixtures):
    all_cases = html_of(client, "/results/2020/")
    wenzhou = html_of(client, "/results/2020/", data={"region": city("温州市").pk})
    assert len(titles_in(all_cases)) == 12
    assert titles_in(wenzhou) == {"温州市为侨服务“全球通”平台"}
    assert len(titles_in(html_of(client, "/results/2020/"))) == 12


@pytest.mark.parametrize(
    "query",
    [
        {"region": "abc"},
        {"field": "99999"},
        {"region": "99999", "field": "abc"},
        {"region": "-1"},
        {"region": "1" * 40},
    ],
)
def test_invalid_filter_values_are_ignored_not_errors(client, published_fixtures, query):
    html = html_of(client, "/results/2020/", data=query)
    assert len(titles_in(html)) == 12


def test_county_is_not_a_region_filter(client, published_fixtures):
    xihu = Organisation.objects.get(name="西湖区", parent__name="杭州市")
    html = html_of(client, "/results/2020/", data={"region": xihu.pk})
    assert len(titles_in(html)) == 12


# --- case detail --------------------------------------------------------------


def test_case_detail_shows_title_unit_tier_region_field(client, published_fixtures):
    case = case_2020("“大下姜”联合体模式")
    html = html_of(client, f"/cases/{case.pk}/")
    assert "“大下姜”联合体模式" in html
    assert "杭州市" in html and "淳安县" in html
    assert "最佳实践案例" in html
    assert "乡村振兴" in html
    assert case.summary[:20] in html
    assert TITLE_2020 in html


def test_selected_case_detail_says_selected(client, published_fixtures):
    case = case_2020("金华义乌“义新欧”双平台运营体制")
    html = html_of(client, f"/cases/{case.pk}/")
    assert "入选(等次未公布)" in html
    assert "义乌市" in html


def test_case_of_a_campaign_in_notice_is_public(client, db):
    case = CaseFactory(campaign__status=CampaignStatus.NOTICE)
    html = html_of(client, f"/cases/{case.pk}/")
    assert case.title in html
    assert "公示中" in html


@pytest.mark.parametrize(
    "status",
    [
        CampaignStatus.DRAFT,
        CampaignStatus.OPEN,
        CampaignStatus.CHECKING,
        CampaignStatus.REVIEWING,
        CampaignStatus.RANKING,
        CampaignStatus.LOCKED,
    ],
)
def test_nothing_of_a_campaign_that_is_not_public_is_shown(client_for, db, status):
    case = CaseFactory(campaign__status=status)
    for role in ("anonymous", "administrator"):
        client = client_for(role)
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        assert client.get(f"/results/{case.campaign.year}/").status_code == 404
        assert case.title not in client.get("/results/").content.decode()


@pytest.mark.parametrize("outcome", [CaseOutcome.PENDING, CaseOutcome.NOT_AWARDED])
def test_case_without_an_award_in_a_published_campaign_is_404(client, published_fixtures, outcome):
    case = CaseFactory(campaign=published_fixtures, outcome=outcome, title="未获奖的申报案例")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    html = html_of(client, "/results/2020/")
    assert "未获奖的申报案例" not in html
    assert "已公布 6 / 10" in html


def test_demo_campaign_case_is_404(client, published_fixtures):
    create_demo_data()
    Campaign.objects.filter(is_demo=True).update(status=CampaignStatus.PUBLISHED)
    case = Case.objects.filter(campaign__is_demo=True).first()
    Case.objects.filter(pk=case.pk).update(outcome=CaseOutcome.SELECTED)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/results/{case.campaign.year}/").status_code == 404


def test_unknown_case_and_year_are_404(client, published_fixtures):
    assert client.get("/cases/987654/").status_code == 404
    assert client.get("/results/1999/").status_code == 404
    r = client.get("/results/2021/")
    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


def test_404_is_not_cached_as_a_page(client, db):
    case = CaseFactory(campaign__status=CampaignStatus.LOCKED)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    Campaign.objects.filter(pk=case.campaign_id).update(status=CampaignStatus.PUBLISHED)
    assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_public_pages_answer_get_only(client, published_fixtures):
    assert client.post("/results/2020/").status_code == 405
    assert client.post("/").status_code == 405


# --- language ---------------------------------------------------------------


def test_chinese_whatever_the_browser_says(client, published_fixtures):
    html = html_of(client, "/results/2020/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-CN">' in html
    assert "最佳实践案例" in section(html, "tier-best")
    assert "Best practice" not in html
    assert "Zhejiang Reform and Innovation Practice Cases, 2020" not in html


def test_english_by_explicit_choice(client, published_fixtures):
    html_of(client, "/results/2020/")  # the Chinese page is cached first
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/results/2020/"})
    assert r.status_code == 302
    assert r.cookies["django_language"].value == "en"

    html = html_of(client, "/results/2020/")
    assert '<html lang="en">' in html
    assert "Best practice" in section(html, "tier-best")
    assert "Excellent practice" in section(html, "tier-excellent")
    assert "Zhejiang Reform and Innovation Practice Cases, 2020" in html

    # And back to Chinese.
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "最佳实践案例" in section(html_of(client, "/results/2020/"), "tier-best")


def test_english_choice_does_not_leak_into_other_visitors_cache(client, published_fixtures):
    english = Client()
    english.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Best practice" in html_of(english, "/")
    assert "Best practice" not in html_of(client, "/")


# --- cache ------------------------------------------------------------------


def test_correction_invalidates_the_cached_pages(
    client, published_fixtures, django_capture_on_commit_callbacks, client_for
):
    case = case_2020("温州市为侨服务“全球通”平台")
    pages = ["/", "/results/", "/results/2020/", f"/cases/{case.pk}/"]
    for url in pages:
        html_of(client, url)  # now cached
    admin = client_for("administrator").user

    with django_capture_on_commit_callbacks(execute=True):
        correct_case(
            case=case,
            by=admin,
            reason="依据原始公告核对",
            changes={"title": "温州市为侨服务“全球通”平台建设", "award": (None, "selected")},
        )

    html = html_of(client, "/results/2020/")
    assert "温州市为侨服务“全球通”平台建设" in section(html, "selected")
    assert "温州市为侨服务“全球通”平台建设" not in section(html, "tier-best")
    assert "已公布 5 / 10" in section(html, "tier-best")
    assert "依据原始公告核对" in section(html, "corrections")
    assert "温州市为侨服务“全球通”平台建设" in html_of(client, f"/cases/{case.pk}/")
    assert "已公布 5 / 10" in html_of(client, "/")


def test_page_is_served_from_the_cache_until_invalidated(client, published_fixtures):
    html_of(client, "/results/2020/")
    # A change that bypasses the services is not seen: the page really is cached.
    Case.objects.filter(title="温州市为侨服务“全球通”平台").update(title="绕过服务的修改")
    assert "温州市为侨服务“全球通”平台" in html_of(client, "/results/2020/")
    cache.clear()
    assert "绕过服务的修改" in html_of(client, "/results/2020/")


def test_signed_in_visitor_sees_cached_content_in_a_personal_page(
    client, client_for, published_fixtures
):
    html_of(client, "/results/2020/")
    admin = client_for("administrator")
    html = html_of(admin, "/results/2020/")
    assert "退出" in html  # the log-out form of a signed-in page
    assert "csrfmiddlewaretoken" in html
    assert "温州市为侨服务“全球通”平台" in html
    # The anonymous page never carries a signed-in user's form.
    assert "csrfmiddlewaretoken" not in html_of(client, "/results/2020/")


# --- queries ----------------------------------------------------------------

RESULTS_PAGE_QUERIES = 9  # the 8 of the list, plus the results manifest's versions


def test_results_page_queries_do_not_grow(client, campaign_with, django_assert_max_num_queries):
    counts = []
    for n in (50, 500):
        campaign = campaign_with(cases=n)
        cache.clear()
        with django_assert_max_num_queries(RESULTS_PAGE_QUERIES) as captured:
            html = html_of(client, f"/results/{campaign.year}/")
        counts.append(len(captured))
        assert html.count('href="/cases/') == n
    assert counts[0] == counts[1], counts


def test_filtered_results_page_queries_do_not_grow(
    client, campaign_with, django_assert_max_num_queries
):
    counts = []
    for n in (50, 500):
        campaign = campaign_with(cases=n)
        region = Case.objects.filter(campaign=campaign).values_list("region", flat=True).first()
        cache.clear()
        with django_assert_max_num_queries(RESULTS_PAGE_QUERIES + 2) as captured:
            html_of(client, f"/results/{campaign.year}/", data={"region": region})
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_2020_results_page_query_count(client, published_fixtures, django_assert_max_num_queries):
    with django_assert_max_num_queries(RESULTS_PAGE_QUERIES):
        html_of(client, "/results/2020/")


@pytest.mark.parametrize("url", ["/", "/results/", "/results/2020/"])
def test_second_anonymous_request_is_served_without_queries(
    client, published_fixtures, django_assert_num_queries, url
):
    first = html_of(client, url)
    with django_assert_num_queries(0):
        second = html_of(client, url)
    assert second == first


def test_second_case_page_request_is_served_without_queries(
    client, published_fixtures, django_assert_num_queries
):
    url = f"/cases/{case_2020('“大下姜”联合体模式').pk}/"
    html_of(client, url)
    with django_assert_num_queries(0):
        html_of(client, url)


def test_cached_page_does_not_carry_another_visitors_query_string(client, published_fixtures):
    # The language switch form holds request.get_full_path(); the whole page is cached
    # per canonical filter, so one visitor's extra parameters must not reach the next.
    html_of(client, "/results/2020/", data={"utm_source": "spam-campaign"})
    assert "spam-campaign" not in html_of(Client(), "/results/2020/")


# --- admin edits of public data ---------------------------------------------


def test_renaming_a_field_in_the_admin_refreshes_the_public_pages(
    client, superuser_client, published_fixtures, django_capture_on_commit_callbacks
):
    client.post("/i18n/setlang/", {"language": "en", "next": "/results/2020/"})
    html_of(client, "/results/2020/")  # the English page, cached
    rural = field("乡村振兴")
    with django_capture_on_commit_callbacks(execute=True):
        # The Chinese name of a field the published results name is read-only there
        # (reform_cases/fields/services.py); the English name may change.
        r = superuser_client.post(
            f"/admin/reform_cases/field/{rural.pk}/change/",
            {"name": "乡村振兴与共同富裕", "name_en": "Rural revival", "order": rural.order},
        )
    assert r.status_code == 302
    rural.refresh_from_db()
    assert (rural.name, rural.name_en) == ("乡村振兴", "Rural revival")
    assert "Rural revival" in html_of(client, "/results/2020/")


def test_editing_a_campaign_in_the_admin_refreshes_the_public_pages(
    client, superuser_client, published_fixtures, django_capture_on_commit_callbacks
):
    campaign = published_fixtures
    html_of(client, "/results/2020/")  # cached
    html_of(client, "/")
    tiers = list(campaign.tiers.order_by("order"))
    data = {
        "year": campaign.year,
        "title": "2020年度浙江省改革创新实践案例(修订)",
        "title_en": campaign.title_en,
        "description": campaign.description,
        "description_en": campaign.description_en,
        "sources": campaign.sources,
        "announced_on": "2021-01-28",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(tiers):
        data.update(
            {
                f"tiers-{i}-id": tier.pk,
                f"tiers-{i}-campaign": campaign.pk,
                f"tiers-{i}-code": tier.code,
                f"tiers-{i}-name": tier.name,
                f"tiers-{i}-name_en": tier.name_en,
                f"tiers-{i}-order": tier.order,
                f"tiers-{i}-quota": 12 if tier.code == "best" else tier.quota,
            }
        )
    with django_capture_on_commit_callbacks(execute=True):
        r = superuser_client.post(f"/admin/reform_cases/campaign/{campaign.pk}/change/", data)
    assert r.status_code == 302, r.context and r.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.title.endswith("(修订)")

    html = html_of(client, "/results/2020/")
    assert "2020年度浙江省改革创新实践案例(修订)" in html
    assert "已公布 6 / 12" in section(html, "tier-best")
    assert "已公布 6 / 12" in html_of(client, "/")
