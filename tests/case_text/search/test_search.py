"""Full-text search on the database in use (SQLite FTS5 or PostgreSQL tsvector): what it
finds, in which order, for whom, and what it does with junk."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from case_text.models import SearchEntry
from case_text.search import services
from case_text.search.forms import MAX_QUERY_CHARS
from case_text.search.parts import Scope
from case_text.search.selectors import SearchResults
from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome, CaseStatus
from reform_cases.publication import services as publication_services
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    TierFactory,
    UserFactory,
)

SEARCH = "/results/search/"


def indexed(**kwargs) -> Case:
    case = CaseFactory(**kwargs)
    services.index_case(case_id=case.pk)
    return case


def found(response) -> list[str]:
    """Titles of the results, in order, as plain text."""
    return [c.title for c in response.context["page"].object_list]


@pytest.fixture
def admin_client(client_for):
    return client_for("administrator")


def test_a_word_only_in_the_body_finds_the_case(client, db):
    case = indexed(
        title="山区县域医共体改革",
        summary="推进县域医疗资源整合。",
        measures="建设未来社区健康站,居民就近签约家庭医生。",
    )
    indexed(title="另一个案例", summary="与此无关的农业改革。")

    r = client.get(SEARCH, {"q": "未来社区"})

    assert r.status_code == 200
    assert found(r) == [case.title]
    html = r.content.decode()
    assert "<mark>未来社区</mark>" in html  # the snippet, cut around the match
    assert "健康站" in html


def test_a_word_inside_a_longer_token_is_found(client, db):
    # 数字化改革 is one word of the user dictionary; its parts are indexed too.
    case = indexed(title="某县案例", measures="以数字化改革撬动各领域改革。")
    r = client.get(SEARCH, {"q": "数字化"})
    assert found(r) == [case.title]


def test_a_title_match_ranks_above_body_matches(client, db):
    campaign = CampaignFactory()
    in_body = indexed(
        campaign=campaign,
        title="基层治理综合改革",
        summary="垃圾分类" * 1 + "。" + "推行垃圾分类,垃圾分类积分,垃圾分类回收。" * 5,
    )
    in_title = indexed(campaign=campaign, title="农村垃圾分类新模式", summary="村民参与。")

    r = client.get(SEARCH, {"q": "垃圾分类"})

    assert found(r) == [in_title.title, in_body.title]
    assert "<mark>垃圾分类</mark>" in r.content.decode()  # the title is highlighted


def test_every_word_of_the_query_must_occur(client, db):
    both = indexed(title="甲案例", summary="共同富裕示范区建设,山区发展。")
    indexed(title="乙案例", summary="共同富裕的城市实践。")
    r = client.get(SEARCH, {"q": "共同富裕 山区"})
    assert found(r) == [both.title]


def test_filters_year_tier_region_and_field(client, db):
    old = CampaignFactory(year=2301)
    new = CampaignFactory(year=2302)
    best = TierFactory(campaign=new, code="best", name="最佳实践案例", order=1)
    good = TierFactory(campaign=new, code="good", name="优秀实践案例", order=2)
    city_a, city_b = CityFactory(), CityFactory()
    field_a, field_b = FieldFactory(), FieldFactory()
    text = {"summary": "推进政务服务一网通办。"}
    a = indexed(
        campaign=old,
        tier=TierFactory(campaign=old, code="best", order=1),
        organisation=CountyFactory(parent=city_a),
        field=field_a,
        title="旧年案例",
        **text,
    )
    b = indexed(
        campaign=new,
        tier=best,
        organisation=CountyFactory(parent=city_b),
        field=field_b,
        title="新年最佳",
        **text,
    )
    c = indexed(
        campaign=new,
        tier=good,
        organisation=CountyFactory(parent=city_a),
        field=field_a,
        title="新年优秀",
        **text,
    )
    q = {"q": "一网通办"}

    assert sorted(found(client.get(SEARCH, q))) == sorted([a.title, b.title, c.title])
    assert sorted(found(client.get(SEARCH, {**q, "year": 2302}))) == sorted([b.title, c.title])
    assert found(client.get(SEARCH, {**q, "year": 2302, "tier": "good"})) == [c.title]
    assert sorted(found(client.get(SEARCH, {**q, "tier": "best"}))) == sorted([a.title, b.title])
    assert sorted(found(client.get(SEARCH, {**q, "region": city_a.pk}))) == sorted(
        [a.title, c.title]
    )
    assert found(client.get(SEARCH, {**q, "field": field_b.pk})) == [b.title]
    # A filter value that is not one: ignored, and said so.
    r = client.get(SEARCH, {**q, "year": "abc", "region": "-1"})
    assert r.status_code == 200
    assert len(found(r)) == 3
    assert "筛选条件无效,已忽略。" in r.content.decode()


def test_a_non_public_case_is_found_by_the_office_only(client, admin_client, db):
    ranking = CampaignFactory(status=CampaignStatus.RANKING)
    hidden = indexed(
        campaign=ranking,
        title="尚未公布的智慧停车改革",
        status=CaseStatus.ACCEPTED,
        outcome=CaseOutcome.PENDING,
        tier=None,
        summary="停车难问题。",
    )
    not_awarded = indexed(
        title="未获奖的智慧停车探索",
        outcome=CaseOutcome.NOT_AWARDED,
        tier=None,
        summary="停车收费。",
    )

    for q in (hidden.title, "智慧停车", not_awarded.title):
        r = client.get(SEARCH, {"q": q})
        assert r.status_code == 200
        assert found(r) == []
        assert f"/cases/{hidden.pk}/" not in r.content.decode()
        assert "没有找到" in r.content.decode()

    r = admin_client.get(f"/manage/campaigns/{ranking.pk}/search/", {"q": "智慧停车"})
    assert r.status_code == 200
    assert found(r) == [hidden.title]
    assert "<mark>智慧停车</mark>" in r.content.decode()


def test_the_background_is_searched_by_the_office_only(client, admin_client, db):
    # The public case page does not show the background (背景): neither does the search.
    case = indexed(title="某市改革", summary="概述。", background="源于营商环境评价排名落后。")
    assert found(client.get(SEARCH, {"q": "营商环境"})) == []
    r = admin_client.get(f"/manage/campaigns/{case.campaign_id}/search/", {"q": "营商环境"})
    assert found(r) == [case.title]


def test_the_office_search_covers_one_campaign_and_every_status_but_drafts(admin_client, db):
    campaign = CampaignFactory(status=CampaignStatus.CHECKING)
    kinds = {
        CaseStatus.SUBMITTED: "已提交的河长制案例",
        CaseStatus.RETURNED: "退回的河长制案例",
        CaseStatus.INELIGIBLE: "不予受理的河长制案例",
    }
    for status, title in kinds.items():
        indexed(campaign=campaign, status=status, outcome="", tier=None, title=title)
    indexed(campaign=campaign, status=CaseStatus.DRAFT, outcome="", tier=None, title="草稿河长制")
    indexed(title="别的活动的河长制案例")

    r = admin_client.get(f"/manage/campaigns/{campaign.pk}/search/", {"q": "河长制"})

    assert sorted(found(r)) == sorted(kinds.values())


def test_pages_do_not_overlap(client, db):
    campaign = CampaignFactory()
    tier = TierFactory(campaign=campaign)
    titles = {
        indexed(campaign=campaign, tier=tier, title=f"第{i}个乡村振兴案例").title for i in range(23)
    }
    first = client.get(SEARCH, {"q": "乡村振兴"})
    second = client.get(SEARCH, {"q": "乡村振兴", "page": 2})
    assert first.context["page"].paginator.count == 23
    assert len(found(first)) == 20 and len(found(second)) == 3
    assert set(found(first)) | set(found(second)) == titles
    assert "page=2" in first.content.decode()
    assert "q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4" in first.content.decode()  # kept in links
    # Past the end: the last page; not a number: the first.
    assert found(client.get(SEARCH, {"q": "乡村振兴", "page": 99})) == found(second)
    assert found(client.get(SEARCH, {"q": "乡村振兴", "page": "x"})) == found(first)


@pytest.mark.parametrize(
    "query,message",
    [
        ("", "输入一个或几个词语"),
        ("   ", "输入一个或几个词语"),
        ("!!!,。、……", "没有可以搜索的词语"),
        ("县", "没有可以搜索的词语"),  # single characters are not indexed
        ("2021", "没有可以搜索的词语"),
        ("改革\x00", "空字符"),
        ("改" * 10_000, f"最多 {MAX_QUERY_CHARS} 个字"),
        ('" OR 1=1 -- NEAR(* ) AND', "没有找到"),  # FTS/tsquery syntax is only words
        ("'改革':* & !", "找到 1 个案例"),  # only the word is searched
    ],
)
def test_junk_queries_get_a_message_never_an_error(client, db, query, message):
    indexed(title="一个公开案例", summary="改革")
    r = client.get(SEARCH, {"q": query})
    assert r.status_code == 200
    html = r.content.decode()
    assert message in html
    assert "\x00" not in html
    assert "改" * (MAX_QUERY_CHARS + 1) not in html  # the 10,000 characters are not echoed back


def test_bytes_that_are_not_utf8_are_no_error(client, db):
    r = client.get(SEARCH + "?q=%ED%A0%80%E6%94%B9%E9%9D%A9%FF&year=%00&page=%FF")
    assert r.status_code == 200


def test_english_page(client, db):
    indexed(title="某县案例", measures="建设未来社区。")
    r = client.get(SEARCH, {"q": "未来社区"}, headers={"accept-language": "en"})
    assert r.status_code == 200
    assert 'lang="en"' in r.content.decode()


@pytest.mark.parametrize("n", [5, 60])
def test_the_number_of_queries_does_not_grow_with_the_archive(
    client, db, n, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    tier = TierFactory(campaign=campaign)
    unit = CountyFactory()
    field = FieldFactory()
    for i in range(n):
        CaseFactory(
            campaign=campaign,
            tier=tier,
            organisation=unit,
            field=field,
            title=f"第{i}个营商环境案例",
            summary="优化营商环境,推行告知承诺制。" * 3,
        )
    services.rebuild_index()
    client.get(SEARCH, {"q": "营商环境"})  # jieba loaded, sessions and the like settled
    with django_assert_max_num_queries(9):
        r = client.get(SEARCH, {"q": "营商环境 告知承诺制", "tier": tier.code, "page": 2})
    assert r.status_code == 200
    assert r.context["page"].paginator.count == n


def test_index_case_writes_once_and_follows_changes(db):
    case = CaseFactory(title="招商引资改革", summary="招商引资服务。")
    assert services.index_case(case_id=case.pk) is True
    assert services.index_case(case_id=case.pk) is False  # unchanged: not segmented again
    entry = SearchEntry.objects.get(case=case)
    assert "招商" in entry.title_terms.split() or "招商引资" in entry.title_terms.split()

    Case.objects.filter(pk=case.pk).update(summary="营商环境服务。")
    assert services.index_case(case_id=case.pk) is True
    results = SearchResults(["营商环境"], Scope.PUBLIC, Case.objects.public())
    assert [c.pk for c in results[0:20]] == [case.pk]
    assert SearchResults(["服务"], Scope.PUBLIC, Case.objects.public()).count() == 1

    SearchEntry.objects.filter(case=case).delete()  # the index follows the rows
    assert SearchResults(["营商环境"], Scope.PUBLIC, Case.objects.public()).count() == 0


def test_a_submitted_case_is_indexed_after_the_commit(db, django_capture_on_commit_callbacks):
    case = CaseFactory(status=CaseStatus.DRAFT, outcome="", tier=None, summary="医保结算一件事")
    case.title = "医保改革"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case.save(update_fields=["title"])  # a draft being written: not indexed
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True):
        case.status = CaseStatus.SUBMITTED
        case.save(update_fields=["status"])
    assert SearchEntry.objects.filter(case=case).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case.rank = 3
        case.save(update_fields=["rank"])  # neither text nor status: nothing to do
    assert callbacks == []


def test_a_correction_changes_what_the_public_finds(client, db, django_capture_on_commit_callbacks):
    case = indexed(title="旧的案例名称", summary="旧的简介。")
    office = UserFactory(administrator=True)
    with django_capture_on_commit_callbacks(execute=True):
        publication_services.correct_case(
            case=case, by=office, reason="名称有误", changes={"summary": "推行河长制。"}
        )
    assert found(client.get(SEARCH, {"q": "河长制"})) == [case.title]


def test_rebuild_command_indexes_what_fixtures_loaded(db, capsys):
    cases = [CaseFactory(summary=f"第{i}个网格化管理案例") for i in range(3)]
    draft = CaseFactory(status=CaseStatus.DRAFT, outcome="", tier=None)
    call_command("rebuild_search_index", "--chunk-size", "2")
    assert "写入 3 个" in capsys.readouterr().out
    assert set(SearchEntry.objects.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert not SearchEntry.objects.filter(case=draft).exists()
    call_command("rebuild_search_index")
    assert "写入 0 个,未变 3 个" in capsys.readouterr().out
    call_command("rebuild_search_index", "--force")
    assert "写入 3 个" in capsys.readouterr().out
    results = SearchResults(["网格化"], Scope.PUBLIC, Case.objects.public())
    assert results.count() == 3


def test_the_database_holds_the_index(db):
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            assert "case_text_search_fts" in tables
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
            assert {"case_text_search_fts_insert", "case_text_search_fts_delete"} <= triggers
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'case_text_searchentry'"
            )
            assert any("gin (document)" in row[0] for row in cursor.fetchall())


def test_public_results_pages_link_to_the_search(client, db):
    campaign = CampaignFactory(status=CampaignStatus.PUBLISHED)
    CaseFactory(campaign=campaign)
    assert 'action="/results/search/"' in client.get("/results/").content.decode()
    html = client.get(f"/results/{campaign.year}/").content.decode()
    assert 'action="/results/search/"' in html
    assert f'name="year" value="{campaign.year}"' in html
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_setup_site_indexes_the_published_results(client, db):
    call_command("setup_site", "--no-demo", stdout=io.StringIO())
    r = client.get(SEARCH, {"q": "监察体制"})
    assert "浙江省深化监察体制改革试点" in found(r)


def test_case_text_is_escaped_around_the_marks(client, db):
    indexed(
        title="<script>alert(1)</script>垃圾分类",
        summary='<img src=x onerror="alert(2)">推行垃圾分类。',
    )
    html = client.get(SEARCH, {"q": "垃圾分类"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>垃圾分类</mark>" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;推行<mark>垃圾分类</mark>" in html
