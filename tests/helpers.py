"""Shared helpers for the tests (plain functions; fixtures live in conftest.py)."""

import csv
import re
from pathlib import Path

from django.conf import settings

from accounts.models import Organisation, OrganisationKind
from reform_cases.models import Case, Field, Tier

REFERENCE_CSV = Path(settings.BASE_DIR) / "fixtures" / "reference" / "results-2020.csv"
DIVISIONS_CSV = Path(settings.BASE_DIR) / "fixtures" / "reference" / "zhejiang-divisions.csv"

# Tier column of results-2020.csv → the award as the site names it.
AWARD_NAMES = {"best": "最佳实践案例", "excellent": "优秀实践案例", "selected": "入选(等次未公布)"}


def reference_rows():
    """The 12 rows of results-2020.csv (the repository's copy), as dictionaries."""
    with REFERENCE_CSV.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def division_rows():
    with DIVISIONS_CSV.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def city(name):
    return Organisation.objects.get(name=name, kind=OrganisationKind.CITY, parent__isnull=True)


def field(name):
    return Field.objects.get(name=name)


def tier_2020(code):
    return Tier.objects.get(campaign__year=2020, campaign__is_demo=False, code=code)


def case_2020(title):
    return Case.objects.get(campaign__year=2020, campaign__is_demo=False, title=title)


def unit_names(case):
    """Submitting unit first, then the co-implementing units."""
    units = [case.organisation] if case.organisation else []
    units += list(case.co_organisations.order_by("name"))
    return [u.name for u in units]


def section(html: str, element_id: str) -> str:
    """The text of the <section id="…"> of a page, or "" when it is absent."""
    match = re.search(
        rf'<section[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</section>', html, re.S
    )
    return match.group(1) if match else ""


def write_csv(path: Path, rows, *, encoding="utf-8", header=True):
    lines = []
    if header:
        lines.append(["year", "tier", "title", "units", "region", "field", "evidence"])
    lines.extend(rows)
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(lines)
    return path


ROLES = ("anonymous", "locality", "other_locality", "expert", "administrator", "deactivated")
