"""The public list as CSV and XLSX, read back and compared."""

import csv
import io
from io import StringIO

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command

from reform_cases.models import CampaignStatus, CaseOutcome, Correction
from tests.factories import CaseFactory, CountyFactory
from tests.helpers import AWARD_NAMES, case_2020, reference_rows

pytestmark = pytest.mark.django_db

HEADER = ["year", "tier", "title", "units", "region", "field", "evidence", "url"]


def expected_rows():
    """results-2020.csv as the export writes it: award names, and the case's page."""
    return sorted(
        [
            "2020",
            AWARD_NAMES[r["tier"]],
            r["title"],
            r["units"],
            r["region"],
            r["field"],
            r["evidence"],
            f"{settings.SITE_URL.rstrip('/')}/cases/{case_2020(r['title']).pk}/",
        ]
        for r in reference_rows()
    )


def csv_export(client, year):
    r = client.get(f"/results/{year}/export.csv")
    assert r.status_code == 200
    return r, b"".join(r.streaming_content)


def xlsx_export(client, year):
    r = client.get(f"/results/{year}/export.xlsx")
    assert r.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    rows = [
        ["" if v is None else str(v) for v in row]
        for row in workbook.worksheets[0].iter_rows(values_only=True)
    ]
    workbook.close()
    return r, rows


def test_csv_starts_with_the_utf8_bom_and_names_the_file(client, published_fixtures):
    r, body = csv_export(client, 2020)
    assert body.startswith(b"\xef\xbb\xbf")
    assert r["Content-Type"].startswith("text/csv")
    assert "charset=utf-8" in r["Content-Type"]
    assert 'filename="results-2020.csv"' in r["Content-Disposition"]


def test_csv_read_back_equals_the_public_list(client, published_fixtures):
    _r, body = csv_export(client, 2020)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert len(rows) == 13
    assert sorted(rows[1:]) == expected_rows()


def test_csv_lists_cases_in_tier_order(client, published_fixtures):
    _r, body = csv_export(client, 2020)
    tiers = [row[1] for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))][1:]
    assert tiers == ["最佳实践案例"] * 6 + ["优秀实践案例"] * 3 + ["入选(等次未公布)"] * 3


def test_xlsx_read_back_equals_the_same_rows(client, published_fixtures):
    r, rows = xlsx_export(client, 2020)
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="results-2020.xlsx"' in r["Content-Disposition"]
    assert rows[0] == HEADER
    assert sorted(rows[1:]) == expected_rows()
    _r, body = csv_export(client, 2020)
    assert rows == list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_of_2019(client, published_fixtures):
    _r, rows = xlsx_export(client, 2019)
    assert rows[1:] == [
        [
            "2019",
            "特别贡献案例",
            "浙江省深化监察体制改革试点",
            "省纪委省监委",
            "浙江省",
            "",
            "2019",
            rows[1][7],
        ]
    ]


@pytest.mark.parametrize(
    "status",
    [CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.RANKING, CampaignStatus.LOCKED],
)
def test_non_public_year_is_404(client, db, status):
    case = CaseFactory(campaign__status=status)
    for ext in ("csv", "xlsx"):
        assert client.get(f"/results/{case.campaign.year}/export.{ext}").status_code == 404


def test_unknown_year_is_404(client, published_fixtures):
    for ext in ("csv", "xlsx"):
        assert client.get(f"/results/1999/export.{ext}").status_code == 404


def test_notice_campaign_is_exported(client, db):
    case = CaseFactory(campaign__status=CampaignStatus.NOTICE)
    _r, rows = xlsx_export(client, case.campaign.year)
    assert [row[2] for row in rows[1:]] == [case.title]


@pytest.mark.parametrize("outcome", [CaseOutcome.PENDING, CaseOutcome.NOT_AWARDED])
def test_export_never_includes_non_public_cases(client, published_fixtures, outcome):
    CaseFactory(campaign=published_fixtures, outcome=outcome, title="不应公开的申报案例")
    _r, body = csv_export(client, 2020)
    _r, rows = xlsx_export(client, 2020)
    assert "不应公开的申报案例" not in body.decode("utf-8-sig")
    assert "不应公开的申报案例" not in {row[2] for row in rows}
    assert len(rows) == 13


def test_export_of_one_year_has_no_case_of_another(client, published_fixtures):
    _r, rows = xlsx_export(client, 2019)
    assert len(rows) == 2
    assert {row[0] for row in rows[1:]} == {"2019"}


def test_export_can_be_imported_again_without_change(client, published_fixtures, tmp_path):
    for ext in ("csv", "xlsx"):
        r = client.get(f"/results/2020/export.{ext}")
        content = b"".join(r.streaming_content) if ext == "csv" else r.content
        path = tmp_path / f"results-2020.{ext}"
        path.write_bytes(content)
        out = StringIO()
        call_command("import_results", str(path), stdout=out, stderr=StringIO())
        assert "新增 0,更正 0,未变 12" in out.getvalue()
    assert not Correction.objects.exists()


def test_export_with_many_co_implementing_units(client, db):
    case = CaseFactory(campaign__status=CampaignStatus.PUBLISHED)
    extra = CountyFactory.create_batch(2)
    case.co_organisations.set(extra)
    _r, rows = xlsx_export(client, case.campaign.year)
    units = rows[1][3].split(";")
    assert units[0] == case.organisation.name
    assert sorted(units[1:]) == sorted(o.name for o in extra)
