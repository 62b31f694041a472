"""The unread count in the navigation bar is cached per user and never shown stale.

Every signed-in page shows it, so it is kept in the shared cache (common/invalidated_cache.py)
until that user's notifications change: notify(), mark_read() and rows saved or deleted one
by one (signals) each make the next page count again.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.invalidated_cache import cached
from notifications import services
from notifications.models import Notification, NotificationKind
from tests.factories import UserFactory
from tests.helpers import client_of

BADGE = 'aria-label="未读">{}</span>'


def _page(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/accounts/password/change/")
    assert response.status_code == 200
    html = response.content.decode()
    counted = sum("notifications_notification" in q["sql"] for q in ctx.captured_queries)
    return html, counted


def _row(user, **fields):
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.ORGANISATION_CHANGED,
        subject="变更",
        body="正文",
        **fields,
    )


def test_the_count_is_read_once_then_served_from_the_cache(db):
    user = UserFactory(expert=True)
    services.notify([user], kind=NotificationKind.ORGANISATION_CHANGED, context={})
    client = client_of(user)
    html, counted = _page(client)
    assert BADGE.format(1) in html and counted == 1
    html, counted = _page(client)
    assert BADGE.format(1) in html and counted == 0


def test_notify_mark_read_and_single_rows_each_change_the_badge_at_once(db):
    user, other = UserFactory(expert=True), UserFactory(expert=True)
    client = client_of(user)
    assert "未读" not in _page(client)[0]
    services.notify([user, other], kind=NotificationKind.ORGANISATION_CHANGED, context={})
    assert BADGE.format(1) in _page(client)[0]
    row = _row(user)  # saved one by one (the admin, another service)
    assert BADGE.format(2) in _page(client)[0]
    row.delete()
    assert BADGE.format(1) in _page(client)[0]
    client.post("/notifications/read/")
    assert "未读" not in _page(client)[0]
    # The other recipient's count was not touched by this user's reading.
    assert services.unread_count(other) == 1


def test_a_count_computed_before_a_change_is_never_served_after_it(db):
    """A worker that counted before another's notify() committed stores its count too late:
    it is stored under the generation notify() replaced, so the next page counts again."""
    user = UserFactory(expert=True)
    seen = []

    def racing_count():
        seen.append(Notification.objects.filter(recipient=user, read_at__isnull=True).count())
        services.notify([user], kind=NotificationKind.ORGANISATION_CHANGED, context={})
        return seen[-1]

    assert cached(services.UNREAD_CACHE, user.pk, racing_count) == 0  # the old count, once
    assert services.unread_count(user) == 1
