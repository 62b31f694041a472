"""The ranking export: no formula in any cell, numbers kept, any round name a valid sheet."""

import io

import openpyxl
import pytest

from tests.factories import (
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
)

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\tx", "\ry"]
PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def export(client, round):
    r = client.get(f"/manage/rounds/{round.pk}/ranking/export.xlsx")
    assert r.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    return workbook.worksheets[0]


@pytest.mark.parametrize("name", ["初评/复评:A?*[1]\\", "=终评", "第" * 40])
def test_any_round_name_exports_with_a_valid_sheet_title(client_for, name):
    campaign = ranking_campaign()
    round = make_closed_round(campaign, name=name)
    ranking_entry(round, accepted_case_for_ranking(campaign, "案例甲"), campaign.best)
    sheet = export(client_for("administrator"), round)
    assert 0 < len(sheet.title) <= 31
    assert not set(sheet.title) & set("/\\?*[]:")
    assert sheet.cell(row=2, column=2).value == "案例甲"


def test_dangerous_titles_are_written_as_text_and_numbers_stay_numbers(client_for):
    campaign = ranking_campaign(best=10)
    campaign.best.name = "-最佳"
    campaign.best.save()
    round = make_closed_round(campaign, name="初评/复评:A?*[1]\\")
    for rank, title in enumerate(DANGEROUS, start=1):
        entry = ranking_entry(
            round, accepted_case_for_ranking(campaign, title), campaign.best, rank=rank
        )
        entry.mean = -1.5
        entry.stability = {"best": 0.75}
        entry.save()

    sheet = export(client_for("administrator"), round)
    rows = list(sheet.iter_rows())
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not cell.value.startswith(PREFIXES), cell.value
    header = [c.value for c in rows[0]]
    assert "'稳定性:-最佳" not in header and "稳定性:-最佳" in header
    data = [dict(zip(header, (c.value for c in row), strict=True)) for row in rows[1:]]
    assert [d["案例名称"] for d in data] == ["'" + t.replace("\r", "\n") for t in DANGEROUS]
    assert {d["建议等次"] for d in data} == {d["最终等次"] for d in data} == {"'-最佳"}
    assert [d["名次"] for d in data] == list(range(1, len(DANGEROUS) + 1))
    assert {d["平均分"] for d in data} == {-1.5}
    assert {d["稳定性:-最佳"] for d in data} == {0.75}
