"""safe_cell, unquote_cell and sheet_title: formula injection and sheet titles."""

import datetime
from decimal import Decimal

import pytest

from common.spreadsheets import safe_cell, safe_row, sheet_title, unquote_cell

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_that_could_start_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", DANGEROUS)
def test_unquote_gives_back_the_original_text(text):
    assert unquote_cell(safe_cell(text)) == text


@pytest.mark.parametrize("text", ["", "数字化改革", "a=b", "1+1", "'quoted", "x-1", " =x", "'"])
def test_harmless_text_is_left_alone_both_ways(text):
    assert safe_cell(text) == text
    assert unquote_cell(text) == text


def test_unquote_removes_only_the_quote_safe_cell_added():
    assert unquote_cell("'=1") == "=1"
    assert unquote_cell("''=1") == "'=1"
    assert unquote_cell("'a=1") == "'a=1"
    assert unquote_cell("'abc") == "'abc"
    assert unquote_cell("'") == "'"


@pytest.mark.parametrize(
    "value",
    [0, -1, 3, -2.5, 1.5, Decimal("-7.25"), datetime.date(2024, 1, 2), True, None],
)
def test_numbers_dates_and_none_stay_as_they_are(value):
    assert safe_cell(value) is value


@pytest.mark.parametrize("text", ["'=1", "''-1", "'", "''", "'abc"])
def test_texts_that_already_look_quoted_round_trip(text):
    assert unquote_cell(safe_cell(text)) == text


def test_safe_row_applies_to_every_cell():
    assert safe_row([-1, "-1", None, "ok"]) == [-1, "'-1", None, "ok"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("初评/复评:A?*[1]\\", "初评复评A1"),
        ("第一轮", "第一轮"),
        ("a" * 40, "a" * 31),
        (2024, "2024"),
    ],
)
def test_sheet_title_is_valid(text, expected):
    assert sheet_title(text) == expected


@pytest.mark.parametrize("text", ["", None, "/\\?*[]:", "'"])
def test_sheet_title_is_never_empty(text):
    assert sheet_title(text) == "Sheet"
    assert sheet_title(text, "ranking") == "ranking"
