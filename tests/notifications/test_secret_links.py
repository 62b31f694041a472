"""Invitation and reset links: in the e-mail only, never in a row, a page or the admin (issue 15).

The outbox row of an invitation or a password reset keeps the recipient and the kind;
the link and its token are minted when the e-mail is sent. So whoever can read the
outbox (the office's page, the Django admin, the recipient's inbox, a database dump)
cannot set another user's password, and the e-mail still carries a link that works.
"""

import importlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import send_invitation
from notifications import services
from notifications.delivery import deliver
from notifications.models import DeliveryStatus, Notification, NotificationKind
from tests.factories import UserFactory
from tests.helpers import mailed_link

STRONG = "Qiantang-River-2024"
# Any path of either page followed by a uid and a token: a working link, or most of one.
LINK_WITH_TOKEN = re.compile(r"/accounts/(?:invitation|password/reset)/[\w-]+/[\w-]{6,}")
INVITATION = "/accounts/invitation/"
RESET = "/accounts/password/reset/"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def admin_client(db):
    client = Client()
    client.user = UserFactory(administrator=True)
    client.force_login(client.user)
    return client


@pytest.fixture
def mailed(admin_client, superuser_client, commit):
    """An account created on the office's page and a reset asked for on the public page.

    Both e-mails are delivered; the links they carry, and their tokens, are returned.
    """
    with commit():
        r = admin_client.post(
            "/manage/accounts/new/",
            {
                "display_name": "周受邀",
                "email": "zhou@example.org",
                "phone": "",
                "role": Role.EXPERT,
                "organisation": "",
                "username": "zhou",
            },
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    UserFactory(expert=True, display_name="吴重置", email="wu@example.org")
    with commit():
        r = Client().post(RESET, {"email": "wu@example.org"})
    assert r.status_code == 302
    links = {
        "invitation": mailed_link("zhou@example.org", INVITATION),
        "reset": mailed_link("wu@example.org", RESET),
    }
    return {
        kind: (link, urlsplit(link).path.strip("/").split("/")[-1]) for kind, link in links.items()
    }


def assert_no_secret(html, mailed, where):
    for link, token in mailed.values():
        assert token not in html, f"{where} shows a token"
        assert urlsplit(link).path not in html, f"{where} shows a link"
    assert not LINK_WITH_TOKEN.search(html), f"{where}: {LINK_WITH_TOKEN.search(html)[0]}"


def test_the_rows_hold_neither_the_link_nor_its_token(mailed):
    rows = Notification.objects.filter(
        kind__in=[NotificationKind.ACCOUNT_INVITATION, NotificationKind.PASSWORD_RESET]
    )
    assert rows.count() == 2
    for row in rows:
        assert row.status == DeliveryStatus.SENT
        assert row.link == ""
        stored = " ".join(str(getattr(row, f.attname)) for f in Notification._meta.fields)
        assert_no_secret(stored, mailed, f"the {row.kind} row")
        assert "[链接仅在邮件中提供]" in row.body  # where the e-mail has the link


def test_no_outbox_tab_shows_a_token(mailed, admin_client):
    for status in DeliveryStatus.values:
        r = admin_client.get(f"/notifications/outbox/?status={status}")
        assert r.status_code == 200
        assert_no_secret(r.content.decode(), mailed, f"the outbox ({status})")
    sent = admin_client.get("/notifications/outbox/?status=sent").content.decode()
    assert "请设置您的密码" in sent and "重置密码" in sent  # the rows are listed, without links


def test_the_inbox_of_each_recipient_shows_no_token(mailed):
    for address in ("zhou@example.org", "wu@example.org"):
        client = Client()
        client.force_login(User.objects.get(email=address))
        r = client.get("/notifications/")
        assert r.status_code == 200
        html = r.content.decode()
        assert "[链接仅在邮件中提供]" in html
        assert_no_secret(html, mailed, f"the inbox of {address}")


def test_the_admin_list_and_change_pages_show_no_token(mailed, superuser_client):
    r = superuser_client.get("/admin/notifications/notification/")
    assert r.status_code == 200
    assert_no_secret(r.content.decode(), mailed, "the admin list")
    for row in Notification.objects.all():
        r = superuser_client.get(f"/admin/notifications/notification/{row.pk}/change/")
        assert r.status_code == 200
        assert_no_secret(r.content.decode(), mailed, f"the admin page of {row.kind}")


def test_the_mailed_invitation_link_works(mailed, client):
    link, _token = mailed["invitation"]
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    r = client.post(path, {"new_password1": STRONG, "new_password2": STRONG})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert User.objects.get(email="zhou@example.org").check_password(STRONG)


def test_the_mailed_reset_link_works(mailed, client):
    link, _token = mailed["reset"]
    page = client.get(urlsplit(link).path, follow=True)
    set_url = page.redirect_chain[-1][0]
    assert set_url.endswith("/set-password/")
    r = client.post(set_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert r.status_code == 302 and r["Location"] == "/accounts/password/reset/complete/"
    assert User.objects.get(email="wu@example.org").check_password(STRONG)


def test_a_pending_invitation_gets_a_working_link_when_it_is_finally_sent(admin_client, client):
    """Minted at delivery: an e-mail held up by an outage still carries a live link."""
    user = UserFactory(expert=True, email="late@example.org")
    user.set_unusable_password()
    user.save()
    send_invitation(user=user, by=admin_client.user)  # not committed: the row stays pending
    row = Notification.objects.get(recipient=user)
    assert row.status == DeliveryStatus.PENDING and row.link == ""
    pending = admin_client.get("/notifications/outbox/?status=pending").content.decode()
    assert row.subject in pending and not LINK_WITH_TOKEN.search(pending)

    assert deliver(row.pk) == "sent"
    path = urlsplit(mailed_link("late@example.org", INVITATION)).path
    assert client.get(path).status_code == 200


def test_a_reset_asked_for_longer_ago_than_its_lifetime_is_not_sent(db, settings):
    user = UserFactory(expert=True, email="old@example.org")
    [row] = services.notify([user], kind=NotificationKind.PASSWORD_RESET, obj=user)
    asked = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    Notification.objects.filter(pk=row.pk).update(created_at=asked)

    assert deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.last_error.startswith("ExpiredLink")
    assert mail.outbox == []


def test_a_secret_link_cannot_be_handed_to_notify(db):
    user = UserFactory(expert=True)
    with pytest.raises(ValueError, match="at delivery"):
        services.notify(
            [user],
            kind=NotificationKind.ACCOUNT_INVITATION,
            obj=user,
            link="https://awards.example.org/accounts/invitation/MQ/abc-def/",
        )
    assert not Notification.objects.exists()


def test_the_migration_takes_links_written_before_out_of_their_rows(db):
    migration = importlib.import_module(
        "notifications.migrations.0003_claimed_delivery_no_stored_tokens"
    )
    zh, en = UserFactory(expert=True), UserFactory(expert=True, language="en")
    old_link = "http://127.0.0.1:8000/accounts/invitation/MQ/cd2x7k-0123456789abcdef/"
    for user, language in ((zh, "zh-hans"), (en, "en")):
        Notification.objects.create(
            recipient=user,
            kind=NotificationKind.ACCOUNT_INVITATION,
            language=language,
            subject="邀请",
            body=f"请打开下面的链接:\n\n{old_link}\n\n谢谢。",
            link=old_link,
            status=DeliveryStatus.SENT,
        )
    other = Notification.objects.create(
        recipient=zh,
        kind=NotificationKind.CASE_SUBMITTED,
        subject="回执",
        body="已收到。",
        link="http://127.0.0.1:8000/cases/mine/1/",
    )

    migration.forget_stored_tokens(apps, None)

    for row in Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITATION):
        assert row.link == "" and old_link not in row.body
        assert row.body.startswith("请打开下面的链接:\n\n[") and row.body.endswith("\n\n谢谢。")
    other.refresh_from_db()
    assert other.link == "http://127.0.0.1:8000/cases/mine/1/"  # an ordinary link stays
