"""The public list as CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX.

Columns follow the published results format, so an export can be imported
again; a last column links to the case page (absolute, from SITE_URL). Text cells go through
`common.spreadsheets.safe_cell` (no formula injection); the importer undoes it.
"""

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse

from common.links import absolute_url
from common.spreadsheets import safe_row, sheet_title

HEADER = ["year", "tier", "title", "units", "region", "field", "evidence", "url"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_rows(campaign, cases):
    for case in cases.iterator(chunk_size=500):
        units = [case.organisation] if case.organisation else []
        units += list(case.co_organisations.all())
        yield safe_row(
            [
                campaign.year,
                case.award_label,
                case.title,
                ";".join(u.name for u in units),
                case.region.name if case.region else "",
                case.field.name if case.field else "",
                case.evidence,
                absolute_url(reverse("cases:detail", kwargs={"pk": case.pk})),
            ]
        )


class _Echo:
    def write(self, value):
        return value


def csv_response(campaign, cases):
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow(HEADER)
        for row in export_rows(campaign, cases):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="results-{campaign.year}.csv"'
    return response


def xlsx_response(campaign, cases):
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(campaign.year, "results"))
    sheet.append(HEADER)
    for row in export_rows(campaign, cases):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="results-{campaign.year}.xlsx"'
    return response
