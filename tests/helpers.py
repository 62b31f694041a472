"""Helpers that read or sign in, shared by the tests (plain functions).

Test data is built in tests/factories.py; fixtures live in conftest.py.
"""

import csv
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


ROLES = ("anonymous", "locality", "other_locality", "expert", "administrator", "deactivated")


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the request queued."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def message_text(response) -> str:
    return " ".join(text for _, text in messages_of(response))


def client_of(user):
    """A Client signed in as `user`; `client.user` is the user."""
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def mailed_link(address: str, path_start: str) -> str:
    """The newest absolute link to `path_start…` in the text of the e-mails sent to `address`.

    Invitation and reset links exist only in the e-mail (mail.outbox), never in the outbox row.
    """
    from django.core import mail

    for message in reversed(mail.outbox):
        if address in message.to:
            for link in re.findall(r"https?://[^\s\"'<>]+", message.body):
                if urlsplit(link).path.startswith(path_start):
                    return link
    raise AssertionError(f"no e-mail to {address} with a link to {path_start}")


def score_url(assignment):
    return reverse("reviews:score", kwargs={"pk": assignment.pk})


def shanghai(dt, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(dt).strftime(fmt)


def expert_row(html, name):
    """(done / assigned, drafts) of the expert's row on the progress page."""
    match = re.search(
        rf"<tr><td><a [^>]*>{re.escape(name)}</a></td><td>([^<]*)</td><td>([^<]*)</td>", html
    )
    assert match, f"no row for {name}"
    return match.group(1), match.group(2), match.end()


def totp_code(key_or_device, *, steps_ahead=0) -> str:
    """The 6-digit code an authenticator app shows now (or `steps_ahead` steps of 30 s later)."""
    from binascii import unhexlify

    from django_otp.oath import totp

    key = getattr(key_or_device, "key", key_or_device)
    return f"{totp(unhexlify(key), drift=steps_ahead):06d}"
