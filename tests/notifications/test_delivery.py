"""Delivery claims the row, sends outside any transaction, then records (issue 15).

These tests commit for real (transactional tests), because what they check is what
other connections see while a channel is sending: the row is `sending` (the claim has
committed), no transaction is open in the sending thread, and on PostgreSQL another
connection can lock the row at once (`select_for_update(nowait=True)`). A recording
channel stands in for the mail server; the locmem backend behind it counts the emails.
"""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from notifications import delivery, services
from notifications.channels import EmailChannel
from notifications.delivery import CLAIM_TIMEOUT, deliver, due_for_resend
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.tasks import deliver_notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROBE = "tests.notifications.test_delivery.ProbeChannel"


def in_other_connection(work):
    """Run `work()` in another thread, hence on another database connection; its result."""
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as exc:  # handed back to the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other connection hung: the row is locked"
    if "error" in result:
        raise result["error"]
    return result["value"]


def lock_now(pk):
    """Lock the row from another connection without waiting; True if that worked."""

    def work():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update(nowait=True).get(pk=pk)
            return True
        except DatabaseError:
            return False

    return in_other_connection(work)


class ProbeChannel:
    """Looks at the database while "sending", then sends through the email channel (or fails)."""

    name = "probe"
    seen: list = []
    fail_with: Exception | None = None
    during = None  # an extra check run while sending

    def send(self, message):
        row = Notification.objects.get(pk=message.pk)
        ProbeChannel.seen.append(
            {
                "in_transaction": connection.in_atomic_block,
                "status": row.status,
                "claimed": row.claimed_at is not None,
                "attempts": row.attempts,
                "locked_elsewhere": (
                    None if connection.vendor != "postgresql" else not lock_now(message.pk)
                ),
            }
        )
        if ProbeChannel.during:
            ProbeChannel.during(message)
        if ProbeChannel.fail_with:
            raise ProbeChannel.fail_with
        EmailChannel().send(message)


@pytest.fixture(autouse=True)
def probe(settings):
    settings.NOTIFICATION_CHANNELS = [PROBE]
    ProbeChannel.seen, ProbeChannel.fail_with, ProbeChannel.during = [], None, None
    yield ProbeChannel
    ProbeChannel.seen, ProbeChannel.fail_with, ProbeChannel.during = [], None, None


@pytest.fixture
def row():
    """A pending row for a locality user, written by notify() and not yet handed to a task."""
    user = UserFactory(locality=True, email="zhou@example.org")
    with mock.patch.object(services, "enqueue"):
        [created] = services.notify([user], kind=NotificationKind.ORGANISATION_CHANGED, context={})
    return created


def refreshed(row):
    row.refresh_from_db()
    return row


def test_the_row_is_claimed_and_committed_before_sending_and_never_locked_while_sending(row):
    assert deliver(row.pk) == "sent"

    [seen] = ProbeChannel.seen
    assert seen["in_transaction"] is False  # no transaction open around the send
    assert seen["status"] == DeliveryStatus.SENDING and seen["claimed"]  # the claim committed
    assert seen["attempts"] == 1
    if connection.vendor == "postgresql":
        assert seen["locked_elsewhere"] is False  # another connection locked it NOWAIT
    row = refreshed(row)
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.SENT, 1, None)
    assert row.sent_at is not None
    assert [m.to for m in mail.outbox] == [["zhou@example.org"]]


def test_a_failing_send_holds_no_lock_and_leaves_the_row_retryable(row):
    ProbeChannel.fail_with = ConnectionResetError("mail server went away")
    assert deliver(row.pk) == "retry"

    [seen] = ProbeChannel.seen
    assert seen["in_transaction"] is False and seen["status"] == DeliveryStatus.SENDING
    if connection.vendor == "postgresql":
        assert seen["locked_elsewhere"] is False
    row = refreshed(row)
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.PENDING, 1, None)
    assert "mail server went away" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert mail.outbox == []

    # The periodic resend picks it up once its backoff has passed, and it is sent once.
    later = row.next_attempt_at + timedelta(minutes=6)
    assert list(due_for_resend(now=later).values_list("pk", flat=True)) == [row.pk]
    ProbeChannel.fail_with = None
    assert deliver(row.pk) == "sent"
    assert deliver(row.pk) == "skipped"
    row = refreshed(row)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_the_eager_task_retries_outside_any_transaction_until_it_gives_up(row):
    ProbeChannel.fail_with = ConnectionResetError("mail server went away")
    assert deliver_notification.apply(args=(row.pk,)).get() == "failed"
    assert len(ProbeChannel.seen) == delivery.MAX_ATTEMPTS
    assert not any(seen["in_transaction"] for seen in ProbeChannel.seen)
    row = refreshed(row)
    assert (row.status, row.attempts, row.claimed_at) == (
        DeliveryStatus.FAILED,
        delivery.MAX_ATTEMPTS,
        None,
    )
    assert mail.outbox == []


def test_a_second_worker_given_the_row_while_it_is_being_sent_skips_it(row):
    sending, release = threading.Event(), threading.Event()

    def hold(message):
        sending.set()
        assert release.wait(timeout=20)

    ProbeChannel.during = hold
    first = {}
    worker = threading.Thread(
        target=lambda: (first.update(outcome=deliver(row.pk)), connections.close_all())
    )
    worker.start()
    try:
        assert sending.wait(timeout=20)
        assert deliver(row.pk) == "skipped"  # claimed and committed by the first worker
        assert refreshed(row).status == DeliveryStatus.SENDING
    finally:
        release.set()
        worker.join(timeout=30)
    assert first["outcome"] == "sent"
    assert deliver(row.pk) == "skipped"
    row = refreshed(row)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)
    assert len(mail.outbox) == 1  # nothing sent twice when nothing fails


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_the_timeout(row):
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=now - timedelta(minutes=1), attempts=1
    )
    # A recent claim: its worker may still be sending.
    assert row.pk not in due_for_resend().values_list("pk", flat=True)
    assert deliver(row.pk) == "skipped"
    assert mail.outbox == []

    # Older than CLAIM_TIMEOUT: the worker is presumed dead and the row is sent again
    # (at least once: if that worker had sent it, this is the second e-mail).
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=now - CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    assert list(due_for_resend().values_list("pk", flat=True)) == [row.pk]
    assert deliver(row.pk) == "sent"
    row = refreshed(row)
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.SENT, 2, None)
    assert len(mail.outbox) == 1


def test_a_failure_after_the_claim_was_taken_over_leaves_the_row_to_its_new_owner(row):
    taken_over_at = timezone.now() + timedelta(seconds=1)

    def taken_over(message):  # another worker re-claimed the row meanwhile
        Notification.objects.filter(pk=message.pk).update(claimed_at=taken_over_at)

    ProbeChannel.during = taken_over
    ProbeChannel.fail_with = ConnectionResetError("mail server went away")
    assert deliver(row.pk) == "skipped"
    row = refreshed(row)
    assert (row.status, row.claimed_at, row.last_error) == (
        DeliveryStatus.SENDING,
        taken_over_at,
        "",
    )


def test_sent_rows_are_never_resent(row):
    assert deliver(row.pk) == "sent"
    long_after = timezone.now() + CLAIM_TIMEOUT + timedelta(hours=1)
    assert not due_for_resend(now=long_after).exists()
    assert len(mail.outbox) == 1
