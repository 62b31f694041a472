"""Exports never hand a spreadsheet a formula: the public results and the submissions list.

Every text cell that begins with = + - @ tab or CR is written with a leading ',
numbers stay numbers, and the results importer takes the ' off again.
"""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from reform_cases.models import CaseOutcome, CaseStatus
from reform_cases.publication.results_import import plan_import, read_rows
from tests.factories import CampaignFactory, CaseFactory, TierFactory

pytestmark = pytest.mark.django_db

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1)",
    "\tx",
    "\ry",
]  # distinct title keys
PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def from_xlsx(text):
    """What a workbook gives back for `text`: XML reads a carriage return as a line feed."""
    return text.replace("\r", "\n")


@pytest.fixture
def campaign():
    """A published campaign with one awarded case per dangerous title."""
    campaign = CampaignFactory()
    tier = TierFactory(campaign=campaign, code="best", name="最佳实践案例", order=1)
    for title in DANGEROUS:
        CaseFactory(campaign=campaign, tier=tier, title=title, evidence="=1+1")
    return campaign


def xlsx_cells(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    return sheet, [list(row) for row in sheet.iter_rows()]


def assert_no_formula(rows):
    """No cell is a formula, and every text cell that starts dangerously is quoted."""
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not cell.value.startswith(PREFIXES), cell.value


def test_results_csv_quotes_every_dangerous_text(client, campaign):
    body = b"".join(client.get(f"/results/{campaign.year}/export.csv").streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    data = rows[1:]
    assert sorted(r[2] for r in data) == sorted("'" + t for t in DANGEROUS)
    assert {r[6] for r in data} == {"'=1+1"}
    for row in rows:
        for value in row:
            assert not value.startswith(PREFIXES), value
    assert {r[0] for r in data} == {str(campaign.year)}


def test_results_xlsx_has_no_formula_and_keeps_numbers(client, campaign):
    r = client.get(f"/results/{campaign.year}/export.xlsx")
    assert r.status_code == 200
    _sheet, rows = xlsx_cells(r.content)
    assert_no_formula(rows)
    data = rows[1:]
    assert sorted(row[2].value for row in data) == sorted("'" + from_xlsx(t) for t in DANGEROUS)
    assert {row[0].value for row in data} == {campaign.year}  # the year stays a number
    assert {row[0].data_type for row in data} == {"n"}


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_then_import_gives_back_the_same_titles(client, campaign, suffix):
    r = client.get(f"/results/{campaign.year}/export.{suffix}")
    content = b"".join(r.streaming_content) if r.streaming else r.content
    rows = read_rows(content, f"results.{suffix}")
    expected = DANGEROUS if suffix == "csv" else [from_xlsx(t) for t in DANGEROUS]
    assert sorted(row["title"] for _line, row in rows) == sorted(expected)
    assert {row["evidence"] for _line, row in rows} == {"=1+1"}
    plan = plan_import(rows)
    assert plan.errors == []
    # Every row finds its own case; the importer trims surrounding white space, so
    # only the titles that begin with a tab or a line break would be rewritten.
    assert {row.case.title for row in plan.rows} == set(DANGEROUS)
    assert {row.title: row.action for row in plan.rows} == {
        t.strip(): "update" if t[0].isspace() else "unchanged" for t in DANGEROUS
    }


def test_submissions_export_has_no_formula(client_for, campaign):
    CaseFactory(
        campaign=campaign,
        title="@SUM(A1) 申报",
        status=CaseStatus.SUBMITTED,
        outcome=CaseOutcome.PENDING,
        contact_name="=cmd|' /C calc'!A0",
        contact_phone="+8613800138000",
    )
    office = client_for("administrator")
    r = office.get(reverse("manage:submissions-export", kwargs={"pk": campaign.pk}))
    assert r.status_code == 200
    _sheet, rows = xlsx_cells(r.content)
    assert_no_formula(rows)
    data = rows[1:]
    titles = {row[1].value for row in data}
    assert titles == {"'" + from_xlsx(t) for t in DANGEROUS} | {"'@SUM(A1) 申报"}
    by_title = {row[1].value: row for row in data}
    submitted = by_title["'@SUM(A1) 申报"]
    assert submitted[8].value == "'=cmd|' /C calc'!A0"
    assert submitted[9].value == "'+8613800138000"
    assert all(row[0].data_type == "n" and isinstance(row[0].value, int) for row in data)
    assert all(isinstance(row[7].value, int) for row in data)  # the attachment count
