"""Reading an uploaded table (CSV or XLSX) into numbered rows.

Used by every bulk import (results, accounts, experts). Files are untrusted:
openpyxl reads them with defusedxml installed, sizes and row counts are capped,
and a file whose content is not what its name says is refused.
"""

import csv
import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from common.spreadsheets import unquote_cell


class TableFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too large)."""


def read_table(data: bytes, filename: str, *, required: tuple[str, ...], expected: tuple[str, ...]):
    """Return [(line number, {column: text})]; the header is line 1, blank rows skipped."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise TableFileError(_("文件过大(上限 5 MB)。"))
    name = filename.lower()
    if name.endswith(".csv"):
        records = _read_csv(data)
    elif name.endswith(".xlsx"):
        records = _read_xlsx(data)
    else:
        raise TableFileError(_("只支持 CSV 或 XLSX 文件。"))
    if not records:
        raise TableFileError(_("文件是空的。"))
    header = [str(h or "").strip().lower().lstrip("\ufeff") for h in records[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise TableFileError(
            _("缺少列:%(columns)s。第一行应为:%(expected)s")
            % {"columns": ", ".join(missing), "expected": ",".join(expected)}
        )
    if len(records) - 1 > settings.IMPORT_MAX_ROWS:
        raise TableFileError(_("行数过多(上限 %(n)d 行)。") % {"n": settings.IMPORT_MAX_ROWS})
    rows = []
    for number, record in enumerate(records[1:], start=2):
        # unquote_cell undoes the ' that our exports put before a formula-like text.
        values = ["" if v is None else unquote_cell(str(v).strip()) for v in record]
        if not any(values):
            continue
        rows.append(
            (number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)})
        )
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise TableFileError(_("这不是有效的 CSV 文本文件。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableFileError(_("无法识别文件编码,请另存为 UTF-8 编码的 CSV。"))
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise TableFileError(_("CSV 格式有误:%(error)s") % {"error": exc}) from exc


def _read_xlsx(data: bytes) -> list[list]:
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TableFileError(_("这不是有效的 XLSX 文件。"))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableFileError(_("无法读取 XLSX 文件,请确认它是 Excel 工作簿。")) from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
