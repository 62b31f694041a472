"""Every export of the platform, downloaded through its URL and read back cell by cell.

Each free text that reaches an export (titles, unit, city, field and tier names, evidence,
contact details, round names) starts with a character a spreadsheet reads as the start
of a formula: = + - @, a tab or a carriage return. Read back, no cell is a formula, no text
starts with such a character (`common.spreadsheets.safe_cell` puts a ' in front), and
numbers are still numbers. A new export URL fails `test_every_export_is_read_back` until
it is added to EXPORTS here.
"""

import csv
import inspect
import io

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from common.spreadsheets import DANGEROUS_PREFIXES
from reform_cases.models import CampaignStatus, Case, CaseOutcome, CaseStatus
from reviews.models import RankingFlag
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    TierFactory,
    make_closed_round,
    ranking_entry,
)

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def hostile_world(*, status):
    """A campaign with one case per hostile prefix, every free text starting with it."""
    campaign = CampaignFactory(status=status, title=f"{HOSTILE[0]}评选")
    cases = []
    for i, evil in enumerate(HOSTILE):
        tier = TierFactory(campaign=campaign, code=f"t{i}", name=f"{evil}等次{i}", order=i + 1)
        city = CityFactory(name=f"{evil}市{i}")
        unit = CountyFactory(name=f"{evil}县{i}", parent=city)
        case = CaseFactory(
            campaign=campaign,
            title=f"{evil}案例{i}",
            organisation=unit,
            region=city,
            field=FieldFactory(name=f"{evil}领域{i}"),
            tier=tier,
            outcome=CaseOutcome.AWARDED,
            status=CaseStatus.ACCEPTED
            if status == CampaignStatus.PUBLISHED
            else CaseStatus.SUBMITTED,
            evidence=f"{evil}依据{i}",
            contact_name=f"{evil}联系人{i}",
            contact_phone=evil,
            co_organisations=[CountyFactory(name=f"{evil}协办{i}", parent=city)],
        )
        cases.append(case)
    return campaign, cases


# --- how each export is reached, by whom, and which of its columns hold numbers ------------


def results_csv(client_for):
    campaign, _cases = hostile_world(status=CampaignStatus.PUBLISHED)
    url = reverse("results:export-csv", kwargs={"year": campaign.year})
    return client_for("anonymous").get(url), {"year": int}


def results_xlsx(client_for):
    campaign, _cases = hostile_world(status=CampaignStatus.PUBLISHED)
    url = reverse("results:export-xlsx", kwargs={"year": campaign.year})
    return client_for("anonymous").get(url), {"year": int}


def submissions_xlsx(client_for):
    campaign, _cases = hostile_world(status=CampaignStatus.CHECKING)
    url = reverse("manage:submissions-export", kwargs={"pk": campaign.pk})
    return client_for("administrator").get(url), {"编号": int, "附件数": int}


def ranking_xlsx(client_for):
    campaign, cases = hostile_world(status=CampaignStatus.RANKING)
    review_round = make_closed_round(campaign, name=f"{HOSTILE[0]}轮次", cases=cases)
    for rank, case in enumerate(cases, start=1):
        entry = ranking_entry(review_round, case, case.tier, rank=rank)
        entry.mean, entry.median, entry.trimmed_mean = 81.25, 80.5, 81.0
        entry.std, entry.normalised_mean, entry.basis_value = 3.5, 0.42, 81.25
        entry.flags = [RankingFlag.DISAGREEMENT]
        entry.stability = {case.tier.code: 0.875}
        entry.save()
    url = reverse("manage:ranking-export", kwargs={"pk": review_round.pk})
    numbers = {"名次": int, "评审份数": int, "平均分": float, "排名依据值": float}
    return client_for("administrator").get(url), numbers


EXPORTS = {
    "results:export-csv": results_csv,
    "results:export-xlsx": results_xlsx,
    "manage:submissions-export": submissions_xlsx,
    "manage:ranking-export": ranking_xlsx,
}


# --- reading a download back ------------------------------------------------------------------


def rows_of(response):
    """(header, rows, kind) of a downloaded CSV or XLSX; XLSX cells as openpyxl cells."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        return rows[0], rows[1:], "csv"
    workbook = openpyxl.load_workbook(io.BytesIO(body))  # not read-only: data_type of each cell
    assert len(workbook.worksheets) == 1
    rows = [list(row) for row in workbook.worksheets[0].iter_rows()]
    return [c.value for c in rows[0]], rows[1:], "xlsx"


def unquoted_variants(text):
    # XLSX is XML: a carriage return is read back as a line feed.
    return {text, text.replace("\r", "\n")}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_export_read_back_holds_no_formula_and_keeps_numbers(name, client_for):
    response, numbers = EXPORTS[name](client_for)
    assert response.status_code == 200
    header, rows, kind = rows_of(response)
    assert len(rows) == len(HOSTILE)

    values = []
    for row in rows:
        for cell in row:
            if kind == "xlsx":
                assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                value = cell.value
            else:
                value = cell
            values.append(value)
            if isinstance(value, str):
                assert not value.startswith(DANGEROUS_PREFIXES), (name, value)

    # The hostile texts did reach the export, kept as text behind a '.
    texts = [v for v in values if isinstance(v, str)]
    for evil in HOSTILE:
        assert any(t.startswith(tuple("'" + v for v in unquoted_variants(evil))) for t in texts), (
            name,
            evil,
        )

    for column, kind_of_number in numbers.items():
        index = header.index(column)
        for row in rows:
            value = row[index].value if kind == "xlsx" else row[index]
            if kind == "xlsx":
                assert type(value) is kind_of_number, (name, column, value)
            else:
                assert kind_of_number(value) == float(value), (name, column, value)


def test_hostile_texts_are_stored_as_written():
    """The exports neutralise; the records keep what was typed (the ' is not stored)."""
    _campaign, cases = hostile_world(status=CampaignStatus.PUBLISHED)
    assert sorted(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("title", flat=True)
    ) == sorted(f"{evil}案例{i}" for i, evil in enumerate(HOSTILE))


# --- no export left out ------------------------------------------------------------------------

SPREADSHEET_MARKERS = ("text/csv", "XLSX_TYPE", "openpyxl", "csv_response", "xlsx_response")


def _patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            yield from _patterns(pattern, f"{namespace}:{inner}".strip(":") if inner else namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}".strip(":") if pattern.name else ""
            yield name, str(pattern.pattern), pattern.callback


def _returns_a_spreadsheet(view):
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):  # views of Django itself
        return False
    return any(marker in source for marker in SPREADSHEET_MARKERS)


def test_every_export_is_read_back():
    found = {
        name
        for name, route, view in _patterns()
        if not name.startswith("admin:")
        and ("export" in name or route.endswith((".csv", ".xlsx")) or _returns_a_spreadsheet(view))
    }
    assert found == set(EXPORTS), f"exports not read back here: {sorted(found - set(EXPORTS))}"
