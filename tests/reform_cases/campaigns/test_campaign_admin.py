"""Campaign administration: the form, status changes and their invariants, the public call."""

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from reform_cases.campaigns.services import complete_owned_transition
from reform_cases.models import (
    Campaign,
    CampaignFile,
    CampaignStatus,
    CampaignStatusChange,
    CaseOutcome,
    CaseStatus,
    Tier,
)
from reform_cases.publication.services import open_public_notice, publish_results
from tests.factories import CampaignFactory, CaseFactory, TierFactory

pytestmark = pytest.mark.django_db

S = CampaignStatus
PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def admin(make_user):
    return make_user("administrator")


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def campaign(status=S.DRAFT, *, window="open", tiers=1, **fields):
    """A campaign in `status`; window "open" (now inside), "past", "future" or None."""
    now = timezone.now()
    windows = {
        "open": (now - timedelta(days=1), now + timedelta(days=30)),
        "past": (now - timedelta(days=30), now - timedelta(days=1)),
        "future": (now + timedelta(days=1), now + timedelta(days=30)),
        None: (None, None),
    }
    opens, closes = windows[window]
    c = CampaignFactory(
        status=status,
        published_at=None,
        submission_opens_at=opens,
        submission_closes_at=closes,
        **fields,
    )
    for i in range(tiers):
        TierFactory(campaign=c, order=i + 1)
    return c


def tier_fields(tiers):
    data = {
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, (order, code, name, name_en, quota) in enumerate(tiers):
        data |= {
            f"tiers-{i}-order": str(order),
            f"tiers-{i}-code": code,
            f"tiers-{i}-name": name,
            f"tiers-{i}-name_en": name_en,
            f"tiers-{i}-quota": str(quota),
        }
    return data


TIERS = [
    (1, "best", "最佳实践案例", "Best practice", 10),
    (2, "excellent", "优秀实践案例", "Excellent practice", 40),
]


def campaign_form(tiers=TIERS, **fields):
    data = {
        "year": "2031",
        "title": "2031年度浙江省改革创新实践案例",
        "title_en": "Zhejiang Reform Awards 2031",
        "submission_opens_at": "2031-03-01T09:00",
        "submission_closes_at": "2031-04-30T17:30",
        "max_cases_per_organisation": "3",
        "required_attachment_kinds": ["application_form", "recommendation_letter"],
        "description": "年度评选。",
        "call_for_entries": "## 申报要求\n\n请于截止日期前提交。",
    }
    return data | tier_fields(tiers) | fields


# --- creating and editing -----------------------------------------------------


def test_create_campaign_with_tiers(admin_client):
    r = admin_client.post("/manage/campaigns/new/", campaign_form())

    c = Campaign.objects.get(year=2031, is_demo=False)
    assert r.status_code == 302 and r["Location"] == f"/manage/campaigns/{c.pk}/"
    assert c.status == S.DRAFT and c.title == "2031年度浙江省改革创新实践案例"
    # The window is typed in Beijing time and stored in UTC.
    assert c.submission_opens_at == datetime(2031, 3, 1, 1, 0, tzinfo=UTC)
    assert c.submission_closes_at == datetime(2031, 4, 30, 9, 30, tzinfo=UTC)
    assert c.max_cases_per_organisation == 3
    assert c.required_attachment_kinds == ["application_form", "recommendation_letter"]
    assert list(c.tiers.order_by("order").values_list("order", "code", "name", "quota")) == [
        (1, "best", "最佳实践案例", 10),
        (2, "excellent", "优秀实践案例", 40),
    ]
    assert not c.status_changes.exists()
    detail = admin_client.get(r["Location"]).content.decode()
    assert "2031-03-01 09:00" in detail  # shown in Beijing time
    assert "最佳实践案例(best)" in detail


def test_edit_campaign_changes_its_tiers(admin_client):
    c = campaign(S.DRAFT, year=2032, tiers=0)
    best = TierFactory(campaign=c, order=1, code="best", name="最佳", quota=5)
    data = campaign_form(
        tiers=[(1, "best", "最佳", "", 8), (2, "good", "优秀", "", 20)],
        year="2032",
        title="改过的名称",
    )
    data |= {"tiers-INITIAL_FORMS": "1", "tiers-0-id": str(best.pk)}

    r = admin_client.post(f"/manage/campaigns/{c.pk}/edit/", data)

    assert r.status_code == 302
    c.refresh_from_db()
    assert c.title == "改过的名称"
    assert list(c.tiers.order_by("order").values_list("pk", "code", "quota")) == [
        (best.pk, "best", 8),
        (Tier.objects.get(campaign=c, code="good").pk, "good", 20),
    ]


def test_locked_campaign_cannot_be_edited(admin_client):
    c = campaign(S.LOCKED, year=2033)
    r = admin_client.post(f"/manage/campaigns/{c.pk}/edit/", campaign_form(year="2033", title="新"))
    assert r.status_code == 302
    assert "结果锁定后不能再修改" in admin_client.get(r["Location"]).content.decode()
    c.refresh_from_db()
    assert c.title != "新"


INVALID = {
    "close before open": (
        {"submission_closes_at": "2031-02-01T09:00"},
        TIERS,
        "申报截止时间必须晚于开始时间",
    ),
    "duplicate tier order": ({}, [TIERS[0], (1, "excellent", "优秀", "", 40)], "顺序不能重复"),
    "duplicate tier code": ({}, [TIERS[0], (2, "best", "优秀", "", 40)], "代码不能重复"),
    "duplicate tier name": ({}, [TIERS[0], (2, "good", "最佳实践案例", "", 40)], "名称不能重复"),
    "zero quota": ({}, [(1, "best", "最佳", "", 0)], "名额至少为 1"),
    "year too early": ({"year": "1999"}, TIERS, "请填写 2000 到 2100 之间的年份"),
    "year too late": ({"year": "2101"}, TIERS, "请填写 2000 到 2100 之间的年份"),
    "no tiers": ({}, [("", "", "", "", "")], "请至少设置一个奖项等次"),
}


@pytest.mark.parametrize("problem", list(INVALID))
def test_invalid_campaign_keeps_what_was_typed_and_says_why(admin_client, problem):
    fields, tiers, message = INVALID[problem]
    campaigns = Campaign.objects.count()

    r = admin_client.post("/manage/campaigns/new/", campaign_form(tiers=tiers, **fields))

    html = r.content.decode()
    assert r.status_code == 200
    assert Campaign.objects.count() == campaigns and not Tier.objects.exists()
    assert 'value="2031年度浙江省改革创新实践案例"' in html
    assert "## 申报要求" in html  # the call for entries, as typed
    if tiers[0][1]:
        assert f'value="{tiers[0][1]}"' in html  # the tier rows too
    shown = re.findall(r'(?:<li>|text-danger small">)([^<]+)</', html)
    assert message in html, f"errors shown: {shown}"


def test_duplicate_year_of_a_real_campaign_is_refused(admin_client):
    CampaignFactory(year=2031, status=S.PUBLISHED)

    r = admin_client.post("/manage/campaigns/new/", campaign_form())

    # Refused by the form (not a server error), with the error on the year.
    assert r.status_code == 200
    assert "year" in r.context["form"].errors
    assert "2031" in r.content.decode()
    assert 'value="2031年度浙江省改革创新实践案例"' in r.content.decode()
    assert Campaign.objects.filter(year=2031).count() == 1


def test_a_real_campaign_may_share_its_year_with_a_demo(admin_client):
    CampaignFactory(year=2031, is_demo=True, status=S.OPEN)
    r = admin_client.post("/manage/campaigns/new/", campaign_form())
    assert r.status_code == 302
    assert Campaign.objects.filter(year=2031).count() == 2


def test_dashboard_lists_campaigns_with_status_and_counts(admin_client):
    c = campaign(S.CHECKING, year=2034, title="看板测试")
    for status in (CaseStatus.SUBMITTED, CaseStatus.SUBMITTED, CaseStatus.ACCEPTED):
        CaseFactory(campaign=c, status=status, outcome=CaseOutcome.PENDING)

    r = admin_client.get("/manage/")

    row = next(x for x in r.context["campaigns"] if x.pk == c.pk)
    assert (row.n_cases, row.n_submitted, row.n_accepted, row.n_draft) == (3, 2, 1, 0)
    html = r.content.decode()
    assert "看板测试" in html and "形式审查" in html


# --- status changes -----------------------------------------------------------


def change(client, c, to, **data):
    """POST a status change; return the page it leads to and the campaign afterwards."""
    r = client.post(f"/manage/campaigns/{c.pk}/status/", {"to": to, **data}, follow=True)
    assert r.redirect_chain == [(f"/manage/campaigns/{c.pk}/", 302)]
    c.refresh_from_db()
    return r.content.decode(), c


REFUSED = {
    "open without a window": (S.DRAFT, {"window": None}, S.OPEN, {}, "请先设置申报开始和截止时间"),
    "open with a past window": (S.DRAFT, {"window": "past"}, S.OPEN, {}, "申报截止时间已过"),
    "open without tiers": (S.DRAFT, {"tiers": 0}, S.OPEN, {}, "请先设置至少一个奖项等次"),
    "checking before the close unconfirmed": (S.OPEN, {}, S.CHECKING, {}, "如确需提前结束征集,请勾选确认"),
    "reviewing without an accepted case": (S.CHECKING, {}, S.REVIEWING, {}, "还没有通过形式审查的案例"),
    # Lock, reopening, notice and publication have their own steps (ranking page, publish
    # button), each with its checks: never the plain form.
    "notice straight from ranking": (S.RANKING, {}, S.NOTICE, {}, "不能从“排名”直接变更为“公示中”"),
    "locked through the form": (S.RANKING, {}, S.LOCKED, {}, "锁定排名请在排名页面操作"),
    "reopened through the form": (S.LOCKED, {}, S.RANKING, {"note": "重算"}, "重新开放排名请在排名页面填写理由后操作"),
    "notice from locked through the form": (S.LOCKED, {}, S.NOTICE, {}, "发布公示请在排名页面操作"),
    "published straight from locked": (S.LOCKED, {}, S.PUBLISHED, {}, "不能从“结果锁定”直接变更为“已发布”"),
    "published from notice through the form": (S.NOTICE, {}, S.PUBLISHED, {}, "发布评选结果请使用本页的“发布评选结果”按钮"),
    "back without a note": (S.OPEN, {}, S.DRAFT, {"note": "  "}, "退回上一阶段必须填写原因"),
    "back from ranking without a note": (S.RANKING, {}, S.REVIEWING, {}, "退回上一阶段必须填写原因"),
    "back from notice": (S.NOTICE, {}, S.LOCKED, {"note": "有异议"}, "不能从“公示中”直接变更为“结果锁定”"),
    "draft to draft": (S.DRAFT, {}, S.DRAFT, {}, "不能从“草稿”直接变更为“草稿”"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_status_change_that_breaks_an_invariant_is_refused(admin_client, case):
    start, setup, to, data, message = REFUSED[case]
    c = campaign(start, **setup)

    html, c = change(admin_client, c, to, **data)

    assert message in html
    assert c.status == start
    assert not CampaignStatusChange.objects.exists()


def test_reviewing_refused_while_submitted_cases_are_unchecked(admin_client):
    c = campaign(S.CHECKING)
    CaseFactory(campaign=c, status=CaseStatus.ACCEPTED, outcome=CaseOutcome.PENDING)
    CaseFactory(campaign=c, status=CaseStatus.SUBMITTED, outcome=CaseOutcome.PENDING)

    html, c = change(admin_client, c, S.REVIEWING)

    assert "还有 1 个已提交的案例未完成形式审查" in html
    assert c.status == S.CHECKING and not c.status_changes.exists()


def test_back_to_draft_refused_once_cases_are_submitted(admin_client):
    c = campaign(S.OPEN)
    CaseFactory(campaign=c, status=CaseStatus.SUBMITTED, outcome=CaseOutcome.PENDING)
    html, c = change(admin_client, c, S.DRAFT, note="改时间")
    assert "已有 1 个案例提交,不能退回草稿" in html
    assert c.status == S.OPEN


ALLOWED = {
    "draft to open": (S.DRAFT, {}, S.OPEN, {}),
    "open to checking after the close": (S.OPEN, {"window": "past"}, S.CHECKING, {}),
    "open to checking early, confirmed": (S.OPEN, {}, S.CHECKING, {"confirm": "on"}),
    "back to draft with a note": (S.OPEN, {}, S.DRAFT, {"note": "截止时间有误"}),
}


@pytest.mark.parametrize("case", list(ALLOWED))
def test_allowed_status_change_is_recorded(admin, admin_client, case):
    start, setup, to, data = ALLOWED[case]
    c = campaign(start, **setup)

    html, c = change(admin_client, c, to, **data)

    assert c.status == to
    [record] = CampaignStatusChange.objects.filter(campaign=c)
    assert (record.from_status, record.to_status, record.actor) == (start, to, admin)
    assert record.note == data.get("note", "")
    assert f"状态已变更为“{S(to).label}”" in html
    assert f"{S(start).label} → {S(to).label}" in html  # the history on the campaign page


def test_reviewing_allowed_when_every_case_is_checked(admin, admin_client):
    c = campaign(S.CHECKING)
    CaseFactory(campaign=c, status=CaseStatus.ACCEPTED, outcome=CaseOutcome.PENDING)
    CaseFactory(campaign=c, status=CaseStatus.INELIGIBLE, outcome=CaseOutcome.PENDING)
    _html, c = change(admin_client, c, S.REVIEWING)
    assert c.status == S.REVIEWING
    assert c.status_changes.get().actor == admin


def test_a_returned_case_blocks_the_review_until_it_is_resubmitted_or_closed(admin, admin_client):
    c = campaign(S.CHECKING)
    CaseFactory(campaign=c, status=CaseStatus.ACCEPTED, outcome=CaseOutcome.PENDING)
    returned = CaseFactory(campaign=c, status=CaseStatus.RETURNED, outcome=CaseOutcome.PENDING)

    html, c = change(admin_client, c, S.REVIEWING)
    assert "还有 1 个退回修改的案例" in html
    assert c.status == S.CHECKING

    # Closing it (the locality is told) lets the review start: nothing is left dangling.
    r = admin_client.post(f"/manage/cases/{returned.pk}/ineligible/", {"reason": "逾期未重新提交"})
    assert r.status_code == 302
    returned.refresh_from_db()
    assert returned.status == CaseStatus.INELIGIBLE
    _html, c = change(admin_client, c, S.REVIEWING)
    assert c.status == S.REVIEWING


def test_each_change_of_a_whole_run_is_recorded(admin_client, admin):
    c = campaign(S.DRAFT, window="open")
    CaseFactory(campaign=c, status=CaseStatus.ACCEPTED, outcome=CaseOutcome.PENDING)
    steps = [
        (S.OPEN, {}),
        (S.CHECKING, {"confirm": "on"}),
        (S.REVIEWING, {}),
        (S.RANKING, {}),
        (S.REVIEWING, {"note": "补评"}),
        (S.RANKING, {}),
    ]
    for to, data in steps:
        _html, c = change(admin_client, c, to, **data)
        assert c.status == to
    # The lock, the notice and publication go through their own services, which record the
    # change the same way (the lock's own checks are tested with the ranking).
    complete_owned_transition(campaign=c, by=admin, to=S.LOCKED, note="锁定排名")
    open_public_notice(
        campaign=c, by=admin, ends_at=timezone.now() + timedelta(hours=1), outcomes={}
    )
    Campaign.objects.filter(pk=c.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    publish_results(campaign=c, by=admin)
    c.refresh_from_db()
    history = list(c.status_changes.order_by("pk").values_list("from_status", "to_status"))
    assert history == [
        (S.DRAFT, S.OPEN),
        (S.OPEN, S.CHECKING),
        (S.CHECKING, S.REVIEWING),
        (S.REVIEWING, S.RANKING),
        (S.RANKING, S.REVIEWING),
        (S.REVIEWING, S.RANKING),
        (S.RANKING, S.LOCKED),
        (S.LOCKED, S.NOTICE),
        (S.NOTICE, S.PUBLISHED),
    ]
    assert not campaign_allowed_targets(c)  # published is the end


def campaign_allowed_targets(c):
    from reform_cases.campaigns.services import allowed_targets

    return allowed_targets(c)


def test_notice_makes_the_results_public_and_refreshes_the_cached_list(
    admin, client, django_capture_on_commit_callbacks
):
    c = campaign(S.LOCKED, year=2035, title="2035年度公示测试")
    case = CaseFactory(campaign=c, title="公示中的获奖案例", status=CaseStatus.ACCEPTED)
    assert "2035年度公示测试" not in client.get("/results/").content.decode()  # now cached
    assert client.get("/results/2035/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        open_public_notice(
            campaign=c,
            by=admin,
            ends_at=timezone.now() + timedelta(days=7),
            outcomes={case.pk: (c.tiers.order_by("order").first(), 1, None)},
        )

    listing = client.get("/results/").content.decode()
    assert "2035年度公示测试" in listing
    page = client.get("/results/2035/")
    assert page.status_code == 200
    assert "公示中的获奖案例" in page.content.decode()


def test_publishing_sets_published_at_and_refreshes_the_cached_pages(
    admin, client, django_capture_on_commit_callbacks
):
    c = campaign(S.NOTICE, year=2036, title="2036年度发布测试")
    Campaign.objects.filter(pk=c.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    CaseFactory(campaign=c, title="发布的获奖案例", status=CaseStatus.ACCEPTED)
    assert "公示中" in client.get("/results/2036/").content.decode()  # now cached
    assert "公示中" in client.get("/results/").content.decode()
    assert c.published_at is None
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        publish_results(campaign=c, by=admin)
    c.refresh_from_db()

    assert c.status == S.PUBLISHED
    assert c.published_at is not None and c.published_at >= before
    year_page = client.get("/results/2036/").content.decode()
    assert "发布的获奖案例" in year_page and "公示中" not in year_page
    listing = client.get("/results/").content.decode()
    assert "2036年度发布测试" in listing and "已发布" in listing and "公示中" not in listing


# --- the public call for entries ----------------------------------------------

XSS = """**加粗**

<script>alert(1)</script>

<img src=x onerror=alert(1)>

[x](javascript:alert(1))

<a href="javascript:alert(2)" onclick="alert(3)">链接</a>

<p style="position:fixed" onmouseover="alert(4)">段落</p>

<iframe src="https://example.org"></iframe>
"""


def call_body(html):
    match = re.search(r'<article class="call-body[^"]*">(.*?)</article>', html, re.S)
    assert match, "no call body on the page"
    return match.group(1)


def test_call_for_entries_renders_markdown_and_strips_scripts(client):
    c = campaign(S.OPEN, call_for_entries=XSS)

    r = client.get(f"/calls/{c.year}/")

    assert r.status_code == 200
    html = r.content.decode()
    body = call_body(html)
    assert "<strong>加粗</strong>" in body
    assert "段落" in body and "链接" in body  # text is kept, only the danger is removed
    lowered = body.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "onmouseover",
        "javascript:",
        "<img",
        "<iframe",
        "style=",
    ):
        assert bad not in lowered, bad
    assert "<script>alert(1)" not in html  # nowhere on the page


def test_call_page_escapes_the_title(client):
    c = campaign(S.OPEN, title="<script>alert(9)</script>评选")
    html = client.get(f"/calls/{c.year}/").content.decode()
    assert "<script>alert(9)" not in html
    assert "&lt;script&gt;alert(9)&lt;/script&gt;评选" in html


def test_call_page_shows_dates_tiers_and_templates(client, media, admin_client):
    c = campaign(S.OPEN, tiers=0, max_cases_per_organisation=2)
    c.submission_closes_at = datetime(2040, 5, 31, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
    c.save()
    TierFactory(campaign=c, name="最佳实践案例", quota=10, order=1)
    admin_client.post(
        f"/manage/campaigns/{c.pk}/files/",
        {"title": "申报书模板", "file": SimpleUploadedFile("form.pdf", PDF)},
    )
    item = CampaignFile.objects.get()

    html = client.get(f"/calls/{c.year}/").content.decode()

    assert c.title in html
    assert "2040年5月31日 17:00" in html
    assert "最佳实践案例(10 个)" in html
    assert f'href="/calls/{c.year}/files/{item.pk}/"' in html and "申报书模板" in html


@pytest.mark.parametrize("status", [s for s in S.values if s != S.OPEN])
def test_call_page_is_404_unless_open(client, status):
    c = campaign(status)
    assert client.get(f"/calls/{c.year}/").status_code == 404
    assert f'href="/calls/{c.year}/"' not in client.get("/").content.decode()


def test_demo_campaign_has_no_public_call(client):
    c = campaign(S.OPEN, is_demo=True)
    assert client.get(f"/calls/{c.year}/").status_code == 404
    assert f'href="/calls/{c.year}/"' not in client.get("/").content.decode()


def test_home_links_to_an_open_call(client):
    c = campaign(S.OPEN, title="首页链接测试")
    html = client.get("/").content.decode()
    assert f'href="/calls/{c.year}/"' in html
    assert "首页链接测试" in html


def test_opening_a_campaign_refreshes_the_cached_home_page(
    admin_client, client, django_capture_on_commit_callbacks
):
    c = campaign(S.DRAFT)
    assert f'href="/calls/{c.year}/"' not in client.get("/").content.decode()  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        _html, c = change(admin_client, c, S.OPEN)

    assert c.status == S.OPEN
    assert f'href="/calls/{c.year}/"' in client.get("/").content.decode()
    assert client.get(f"/calls/{c.year}/").status_code == 200


# --- template files -----------------------------------------------------------


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def upload(client, c, name, content, title=""):
    return client.post(
        f"/manage/campaigns/{c.pk}/files/",
        {"title": title, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_real_pdf_template_is_stored_and_downloadable(admin_client, client, media):
    c = campaign(S.OPEN)

    r = upload(admin_client, c, "申报书.pdf", PDF, title="申报书模板")

    assert "模板文件已上传" in r.content.decode()
    item = CampaignFile.objects.get(campaign=c)
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    download = client.get(f"/calls/{c.year}/files/{item.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert quote("申报书模板.pdf") in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF
    download.close()


def test_docx_template_is_accepted(admin_client, media):
    c = campaign(S.OPEN)
    upload(admin_client, c, "申报书.docx", docx_bytes())
    assert CampaignFile.objects.get(campaign=c).content_type.endswith("wordprocessingml.document")


def test_renamed_executable_is_refused(admin_client, media):
    c = campaign(S.OPEN)

    r = upload(admin_client, c, "申报书.pdf", EXE)

    assert "不是有效的" in r.content.decode()
    assert not CampaignFile.objects.exists()
    assert stored_files(media) == []


def test_docx_named_xlsx_is_refused(admin_client, media):
    c = campaign(S.OPEN)

    r = upload(admin_client, c, "汇总表.xlsx", docx_bytes())

    assert "内容是 DOCX,与扩展名不符" in r.content.decode()
    assert not CampaignFile.objects.exists()
    assert stored_files(media) == []


def test_zip_without_office_parts_is_refused(admin_client, media):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("payload.exe", EXE)
    c = campaign(S.OPEN)
    r = upload(admin_client, c, "申报书.docx", buffer.getvalue())
    assert "不是有效的" in r.content.decode()
    assert not CampaignFile.objects.exists()


def test_removed_template_is_gone(admin_client, client, media, django_capture_on_commit_callbacks):
    c = campaign(S.OPEN)
    upload(admin_client, c, "form.pdf", PDF)
    item = CampaignFile.objects.get()
    assert len(stored_files(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(f"/manage/campaigns/{c.pk}/files/{item.pk}/delete/")

    assert r.status_code == 302
    assert not CampaignFile.objects.exists()
    assert stored_files(media) == []
    assert client.get(f"/calls/{c.year}/files/{item.pk}/").status_code == 404


def test_stored_template_name_is_safe(admin_client, media):
    c = campaign(S.OPEN)
    upload(admin_client, c, "../../etc/申报 书;rm -rf.pdf", PDF)
    item = CampaignFile.objects.get()
    assert item.file.name.startswith(f"campaigns/{c.pk}/")
    assert ".." not in item.file.name and ";" not in item.file.name and " " not in item.file.name
    [path] = stored_files(media)
    assert media in path.parents
