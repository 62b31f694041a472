"""The 申报书 as PDF: its content in order, blind copies, the draft mark, and its downloads.

PDFs cost ~0.3–0.8 s each, so each is rendered once per module (the module-scoped `forms`)
and checked for many facts; the views render one each.
"""

import io
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from reform_cases.documents.application_form import (
    application_filename,
    application_html,
    render_application_pdf,
)
from reform_cases.models import Case, CaseOutcome, CaseStatus
from tests.factories import CaseFactory, CityFactory, CountyFactory, UserFactory, open_campaign
from tests.helpers import client_of, embedded_fonts

A4 = (595, 842)  # points, rounded
# One paragraph long enough to run over more than a page on its own.
LONG_PARAGRAPH = "依托“浙里办”推行一网通办,群众办事材料压减六成,办理时限平均缩短一半。" * 60
SECTION_TEXT = {
    "summary": "以群众和企业到政府办事“最多跑一次”为目标。",
    "background": "办事难、办事慢、多头跑。",
    "measures": "一窗受理、集成服务。\n" + LONG_PARAGRAPH + "\n数据共享替代材料提交。",
    "results": "平均办理时间缩短一半。",
    "innovation": "以数据共享替代材料提交。",
    "replicability": "已在全省推广。",
}
HEADINGS = ["案例简介", "背景", "主要做法", "成效", "创新点", "推广价值"]


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squeezed(text: str) -> str:
    """The text without white space (line breaks split phrases in the extracted text)."""
    return re.sub(r"\s+", "", text)


def build_case(**overrides) -> Case:
    """A case of 安吉县 (湖州市) with two partners; `overrides` replace any of its values."""
    if "organisation" not in overrides:  # names are unique: the first case of a test only
        city = CityFactory(name="湖州市")
        overrides = {
            "organisation": CountyFactory(name="安吉县", parent=city),
            "region": city,
            "co_organisations": [CountyFactory(name="德清县"), CountyFactory(name="长兴县")],
            **overrides,
        }
    if "campaign" not in overrides:
        overrides["campaign"] = open_campaign(year=2251, title="2251年度改革创新实践案例评选")
    values = {
        "title": "“最多跑一次”改革再深化",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "status": CaseStatus.SUBMITTED,
        "outcome": CaseOutcome.PENDING,
        **SECTION_TEXT,
    }
    values.update(overrides)
    return CaseFactory(**values)


@pytest.fixture(scope="module")
def forms(django_db_setup, django_db_blocker):
    """The full and the blind form of one submitted case, and its name and unit's names."""
    with django_db_blocker.unblock():
        from django.db import transaction

        # Rolled back when rendered: the module's tests read only the bytes.
        with transaction.atomic():
            case = build_case()
            rendered = {
                "full": render_application_pdf(case),
                "blind": render_application_pdf(case, blind=True),
                "title": case.title,
            }
            transaction.set_rollback(True)
    return rendered


def test_the_form_is_a4_and_holds_the_title_and_every_section_in_order(forms):
    reader = PdfReader(io.BytesIO(forms["full"]))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4
    text = squeezed("".join(page.extract_text() for page in reader.pages))

    assert "申报书" in text
    assert squeezed(forms["title"]) in text
    assert "2251年度改革创新实践案例评选" in text
    positions = [text.index(f"{n}.{heading}") for n, heading in enumerate(HEADINGS, start=1)]
    assert positions == sorted(positions)
    # Each section's text under its own heading, Chinese punctuation intact.
    for name, heading, following in zip(
        SECTION_TEXT, HEADINGS, [*HEADINGS[1:], "本单位承诺"], strict=True
    ):
        body = text[text.index(heading) : text.index(following)]
        first_line = SECTION_TEXT[name].split("\n")[0]
        assert squeezed(first_line) in body, name


def test_the_form_embeds_only_the_documents_font(forms):
    """WenQuanYi Micro Hei, subset: a fallback to another CJK font (a glyph it lacks, or a
    renamed family in the CSS) would embed a second font and cost the bundle's worker ≈ 50 MB
    a drawing (BENCHMARKS.md bench:bundle)."""
    for variant in ("full", "blind"):
        fonts = embedded_fonts(forms[variant])
        # The regular face and pango's emboldened one (the font has no bold of its own).
        assert fonts and {f.replace("-", "") for f in fonts} <= {
            "WenQuanYiMicroHei",
            "WenQuanYiMicroHeiBold",
        }, fonts


def test_the_form_names_the_unit_and_has_a_stamp_box_and_date_line(forms):
    text = squeezed("".join(pages_of(forms["full"])))

    for fact in ("安吉县", "德清县、长兴县", "湖州市", "张三", "13800138000"):
        assert fact in text, fact
    declaration = text[text.index("本单位承诺") :]
    assert "申报单位(盖章):安吉县" in declaration
    assert "盖章处" in declaration
    assert "日期:年月日" in declaration
    assert "草稿" not in text  # a submitted case


def test_a_long_section_flows_over_pages_with_its_heading_and_running_header(forms):
    pages = [squeezed(page) for page in pages_of(forms["full"])]
    total = len(pages)

    assert total >= 3
    carrying = [n for n, page in enumerate(pages) if "3.主要做法" in page]
    assert len(carrying) >= 2, "the heading is repeated on the pages the section runs over"
    assert all(f"第{n}页/共{total}页" in page for n, page in enumerate(pages, start=1))
    # Every page but the first carries the case title in its header.
    assert all(squeezed(forms["title"]) in page for page in pages)
    # The long paragraph is all there, across the page breaks.
    assert squeezed(LONG_PARAGRAPH) in "".join(
        re.sub(r"3\.主要做法|第\d+页/共\d+页|“最多跑一次”改革再深化", "", page) for page in pages
    )


def test_a_blind_copy_names_neither_the_unit_nor_its_partners_nor_the_contact(forms):
    text = squeezed("".join(pages_of(forms["blind"])))

    assert squeezed(forms["title"]) in text
    assert all(f"{n}.{heading}" in text for n, heading in enumerate(HEADINGS, start=1))
    for revealing in ("安吉县", "德清县", "长兴县", "湖州市", "张三", "13800138000", "盖章"):
        assert revealing not in text, revealing


def test_a_draft_is_marked_on_every_page(db):
    case = build_case(status=CaseStatus.RETURNED)

    pages = pages_of(render_application_pdf(case))

    assert len(pages) >= 2
    assert all("草稿" in page for page in pages)


def test_the_form_reads_the_same_number_of_queries_whatever_the_number_of_partners(db):
    small = build_case(co_organisations=[CountyFactory()])
    large = build_case(
        campaign=small.campaign,
        title="另一个案例",
        organisation=CountyFactory(),
        co_organisations=[CountyFactory() for _ in range(8)],
    )
    counts = []
    for case in (small, large):
        case = Case.objects.get(pk=case.pk)  # nothing cached on the instance
        with CaptureQueriesContext(connection) as captured:
            application_html(case)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_what_the_unit_typed_is_text_and_fetches_nothing(db):
    case = build_case(summary='<img src="file:///etc/hostname"> & <b>粗体</b>')

    html = application_html(case)

    assert "&lt;img src=&quot;file:///etc/hostname&quot;&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in html
    assert "<img" not in html


# --- downloads ----------------------------------------------------------------------------


def assert_private_pdf_download(response, case):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert quote(application_filename(case), safe="") in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_locality_downloads_its_draft_from_its_case_page(db):
    case = build_case(status=CaseStatus.DRAFT, measures="一窗受理。")
    client = client_of(UserFactory(locality=True, organisation=case.organisation))

    page = client.get(reverse("cases:mine-detail", kwargs={"pk": case.pk})).content.decode()
    url = reverse("cases:application-form", kwargs={"pk": case.pk})
    assert f'href="{url}"' in page
    assert "草稿状态下每页标有“草稿”" in page
    response = client.get(url)

    assert_private_pdf_download(response, case)
    assert application_filename(case) == "申报书-“最多跑一次”改革再深化.pdf"
    pages = pages_of(response.content)
    assert all("草稿" in page for page in pages)
    assert "安吉县" in squeezed("".join(pages))


def test_the_administrator_downloads_it_from_the_formal_check(db):
    case = build_case(measures="一窗受理。")
    client = client_of(UserFactory(administrator=True))

    page = client.get(reverse("manage:case-detail", kwargs={"pk": case.pk})).content.decode()
    url = reverse("manage:case-application-form", kwargs={"pk": case.pk})
    assert f'href="{url}"' in page
    response = client.get(url)

    assert_private_pdf_download(response, case)
    text = squeezed("".join(pages_of(response.content)))
    assert "安吉县" in text and "张三" in text  # the office's copy is not blind
    assert "草稿" not in text


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "abc"])
def test_a_bad_case_id_is_a_404_never_an_error(db, pk):
    administrator = client_of(UserFactory(administrator=True))
    assert administrator.get(f"/manage/cases/{pk}/application-form/").status_code == 404
    locality = client_of(UserFactory(locality=True, organisation=CountyFactory()))
    assert locality.get(f"/cases/mine/{pk}/application-form/").status_code == 404
