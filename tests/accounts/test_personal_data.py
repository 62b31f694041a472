"""A person's data on request (/manage/personal-data/, accounts/personal_data.py): everything
the platform holds about them, nothing about anyone else, and the export recorded."""

import json
from decimal import Decimal

import pytest
from axes.models import AccessLog
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.audit_records import PERSONAL_DATA_EXPORTED
from accounts.models import AccountEvent, AccountEventKind
from accounts.personal_data import export, find_person
from audit.models import AuditRecord
from notifications.models import Notification, NotificationKind
from reform_cases.models import (
    Attachment,
    AttachmentDownload,
    AttachmentKind,
    CaseOutcome,
    Objection,
)
from reviews.models import Conflict, ConflictSource
from tests.factories import CaseFactory, make_desk, review_of
from tests.helpers import message_text

URL = reverse("manage:personal-data")
CATEGORIES = (
    "accounts",
    "account_events",
    "login_records",
    "notifications",
    "case_contacts",
    "objections",
    "attachment_downloads",
    "expert_profiles",
    "reviews",
    "review_pledges",
    "conflicts",
)


def _person(name, email, phone, comment):
    """An expert with a submitted review, and every other kind of record about them."""
    desk = make_desk()
    expert = desk.expert
    expert.email, expert.phone, expert.display_name = email, phone, name
    expert.save(update_fields=["email", "phone", "display_name"])
    review_of(desk.assignment, desk.criteria, [Decimal(20), Decimal(15), Decimal(10)],
              overall=comment)  # fmt: skip
    AccountEvent.objects.create(user=expert, kind=AccountEventKind.CREATED, note=name)
    AccessLog.objects.create(
        username=expert.username, ip_address="10.1.1.1", user_agent=name, http_accept="*/*"
    )
    Notification.objects.create(
        recipient=expert, kind=NotificationKind.EXPERT_ASSIGNED, subject=name, body=comment
    )
    case = CaseFactory(contact_name=name, contact_phone=phone, outcome=CaseOutcome.NOT_AWARDED)
    Objection.objects.create(
        campaign=case.campaign,
        name=name,
        contact=email.upper(),
        text=comment,
        ip_address="10.2.2.2",
    )
    attachment = Attachment.objects.create(
        case=desk.case,
        kind=AttachmentKind.APPLICATION_FORM,
        file="attachments/x/a.pdf",
        original_name=f"{name}.pdf",
        content_type="application/pdf",
        size=1,
    )
    AttachmentDownload.objects.create(attachment=attachment, user=expert, ip_address="10.3.3.3")
    Conflict.objects.create(
        expert=expert, case=case, source=ConflictSource.choices[0][0], reason=comment
    )
    return expert


@pytest.fixture
def wang(db):
    return _person("王五", "wang@example.org", "13900001111", "王五的评语")


@pytest.fixture
def zhao(db):
    return _person("赵六", "zhao@example.org", "13700002222", "赵六的评语")


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def _download(client, q):
    r = client.post(URL, {"q": q, "download": "1"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    assert r["Content-Disposition"].startswith('attachment; filename="personal-data-')
    return r.content.decode()


@pytest.mark.parametrize("q", ["wang@example.org", "WANG@example.org", "139 0000 1111", None])
def test_the_export_holds_each_category_and_nothing_of_another_person(office, wang, zhao, q):
    text = _download(office, q or wang.username)
    data = json.loads(text)

    for category in CATEGORIES:
        assert data[category], category
    assert [a["username"] for a in data["accounts"]] == [wang.username]
    assert data["reviews"][0]["overall_comment"] == "王五的评语"
    assert len(data["reviews"][0]["scores"]) == 3
    assert data["objections"][0]["contact"] == "WANG@EXAMPLE.ORG"
    assert data["attachment_downloads"][0]["ip_address"] == "10.3.3.3"
    assert data["login_records"][0]["ip_address"] == "10.1.1.1"
    for other in ("赵六", "zhao", "13700002222"):
        assert other not in text
    # Never the password hash nor a second factor's secret.
    assert wang.password not in text and "password" not in text and '"key"' not in text


def test_the_export_is_recorded_without_the_data(office, wang):
    _download(office, "wang@example.org")

    record = AuditRecord.objects.get(kind=PERSONAL_DATA_EXPORTED)
    content = json.loads(record.content)
    assert content["by"] == office.user.pk and content["accounts"] == [wang.pk]
    assert content["counts"]["reviews"] == 1 and content["query_kind"] == "email"
    assert "wang" not in record.content and "1390000" not in record.content


def test_looking_up_shows_counts_and_records_nothing(office, wang):
    r = office.post(URL, {"q": "wang@example.org"})

    html = r.content.decode()
    assert 'id="personal-data-summary"' in html and "评审意见和得分" in html
    assert 'value="wang@example.org"' in html and 'name="download"' in html
    # Looked up by POST: the address never appears in a URL (history, access logs).
    assert office.get(URL, {"q": "wang@example.org"}).content.decode().count("wang@") == 0
    assert not AuditRecord.objects.filter(kind=PERSONAL_DATA_EXPORTED).exists()


def test_a_contact_without_account_is_found_by_phone(office, db):
    CaseFactory(contact_name="孙七", contact_phone="0571-87654321")

    data = json.loads(_download(office, "057187654321"))

    assert data["accounts"] == [] and data["case_contacts"][0]["contact_name"] == "孙七"


@pytest.mark.parametrize(
    "q",
    ["nobody@example.org", "13500000000", "no-such-user"],
)
def test_nothing_found_says_so_and_records_nothing(office, wang, q):
    r = office.post(URL, {"q": q, "download": "1"})

    assert r.status_code == 200 and "没有找到" in message_text(r)
    assert not AuditRecord.objects.filter(kind=PERSONAL_DATA_EXPORTED).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"q": "wang\x00@example.org"},
        {"q": "a" * 300 + "@example.org"},
        {"q": "x" * 200},
        {"q": "<script>alert(1)</script>"},
        {"q": "not@an@address"},
        {"q": "   "},
        {},
        {"q": ["wang@example.org", "zhao@example.org"]},  # the last one counts
    ],
)
def test_bad_input_is_a_message_never_a_500(office, wang, data):
    for r in (office.post(URL, {**data, "download": "1"}), office.get(URL, data)):
        assert r.status_code == 200
        html = r.content.decode()
        assert "<form" in html and "application/json" not in r["Content-Type"]
        assert "wang@example.org" not in html
    assert not AuditRecord.objects.filter(kind=PERSONAL_DATA_EXPORTED).exists()


def test_a_forged_id_beside_the_query_is_ignored(office, wang, zhao):
    r = office.post(URL, {"q": "wang@example.org", "download": "1", "account": zhao.pk})

    data = json.loads(r.content)
    assert [a["username"] for a in data["accounts"]] == [wang.username]


@pytest.mark.parametrize("role", ["locality", "expert"])
def test_only_the_office_may_export(client_for, wang, role):
    client = client_for(role)
    assert client.post(URL, {"q": "wang@example.org", "download": "1"}).status_code == 403
    assert not AuditRecord.objects.filter(kind=PERSONAL_DATA_EXPORTED).exists()


def test_anonymous_is_sent_to_log_in(client, wang):
    r = client.post(URL, {"q": "wang@example.org"})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_queries_do_not_grow_with_the_rows(wang):
    def count():
        with CaptureQueriesContext(connection) as queries:
            export(find_person("wang@example.org"))
        return len(queries)

    before = count()
    for n in range(5):
        AccessLog.objects.create(username=wang.username, user_agent=str(n), http_accept="*/*")
        Notification.objects.create(recipient=wang, kind=NotificationKind.EXPERT_ASSIGNED)
        CaseFactory(contact_phone=wang.phone)
    assert count() == before
