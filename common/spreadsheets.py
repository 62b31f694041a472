"""Cells for exported spreadsheets, safe from formula injection (OWASP "CSV injection").

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read by Excel and LibreOffice as a formula; `safe_cell` puts a ``'`` in front
of it so it stays text. Numbers, dates and None are left as they are, so numbers
stay numbers. Importers undo the prefix with `unquote_cell` (in
`common.tabular.read_table`), so an export can be imported again unchanged.
"""

import re

# OWASP's list, and a line feed: XLSX is XML, which reads a carriage return back
# as a line feed, so a quoted "\r…" comes back from a workbook as "'\n…".
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[/\\?*\[\]:]")
SHEET_TITLE_MAX = 31


def safe_cell(value):
    """The value to write into a cell: a text that could start a formula gets a leading '.

    So does a text that only looks quoted (apostrophes, then a dangerous
    character), so that `unquote_cell` always gives back exactly what was written.
    """
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def safe_row(values):
    """`safe_cell` on every value of a row."""
    return [safe_cell(v) for v in values]


def unquote_cell(text):
    """Undo `safe_cell`: drop the one leading ' when the rest begins with a dangerous character."""
    if isinstance(text, str) and text.startswith("'") and _formula_like(text):
        return text[1:]
    return text


def _formula_like(text):
    return text.lstrip("'").startswith(DANGEROUS_PREFIXES)


def sheet_title(text, default="Sheet"):
    """A valid XLSX sheet title: without / \\ ? * [ ] :, at most 31 characters, never empty."""
    title = _SHEET_TITLE_FORBIDDEN.sub("", str(text or "")).strip()
    # Excel also refuses a title that begins or ends with an apostrophe.
    title = title[:SHEET_TITLE_MAX].strip().strip("'").strip()
    return title or default
