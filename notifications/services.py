"""`notify()` is what every other app calls, inside its own transaction.

It writes one outbox row per recipient, rendered in the recipient's language;
delivery is enqueued only after the transaction commits, so a rolled-back
change sends nothing and a failed broker loses nothing (the row stays pending).
A kind whose link carries a token (invitation, password reset) stores no link:
see `notifications/secret_links.py`.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.invalidated_cache import cached, invalidate_many
from notifications.models import DeliveryStatus, Notification
from notifications.secret_links import placeholder, secret_link

logger = logging.getLogger(__name__)
# Publishing to the broker: a short retry, then give up and leave the row pending.
BROKER_RETRY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.3, "interval_max": 0.5}


def _target(obj) -> str:
    if obj is None:
        return ""
    return f"{obj._meta.label_lower}:{obj.pk}"


def notify(
    recipients: Iterable, *, kind: str, obj=None, context: dict | None = None, link: str = ""
) -> list[Notification]:
    """Write a notification of `kind` for each recipient; deliver after commit.

    Templates: notifications/email/<kind>_subject.txt and <kind>.txt, rendered
    with `context` plus `recipient`, `obj` and `link`. A kind with a registered
    secret link takes no `link`: the body is stored around a placeholder and the
    link is made when the e-mail is sent.
    """
    secret = secret_link(kind) is not None
    if secret and link:
        raise ValueError(f"{kind} makes its own link at delivery; it must not be stored")
    rows = []
    for recipient in {r.pk: r for r in recipients if r is not None}.values():
        language = getattr(recipient, "language", "") or "zh-hans"
        with translation.override(language):
            shown = placeholder() if secret else link
            data = {**(context or {}), "recipient": recipient, "obj": obj, "link": shown}
            subject, body = render(kind, data)
        rows.append(
            Notification(
                recipient=recipient,
                kind=kind,
                language=language,
                subject=subject,
                body=body,
                link=link,
                target=_target(obj),
            )
        )
    created = Notification.objects.bulk_create(rows)
    forget_unread_counts([row.recipient_id for row in rows])
    ids = [n.pk for n in created if n.pk is not None]
    if not ids:  # backends that do not return ids from bulk_create
        ids = list(
            Notification.objects.filter(kind=kind, target=_target(obj))
            .order_by("-pk")
            .values_list("pk", flat=True)[: len(rows)]
        )
    transaction.on_commit(lambda: enqueue(ids))
    return created


def render(kind: str, data: dict) -> tuple[str, str]:
    """Subject (one line, at most 200 characters) and body of `kind`, in the active language."""
    subject = render_to_string(f"notifications/email/{kind}_subject.txt", data)
    body = render_to_string(f"notifications/email/{kind}.txt", data)
    return " ".join(subject.split())[:200], body.strip()


def enqueue(ids: list[int]) -> None:
    """Hand rows to the workers. A broker error is logged; the rows stay pending."""
    from notifications.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.apply_async((pk,), retry=True, retry_policy=BROKER_RETRY)
        except Exception:  # the user's action has succeeded; the periodic resend will retry
            logger.exception("Could not enqueue notification %s; it stays pending", pk)
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                break  # the broker is down: do not wait on it once per row


def mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    marked = qs.update(read_at=timezone.now())
    forget_unread_counts([user.pk])  # after the change: outside a transaction, now is its commit
    return marked


# The navigation bar shows the unread count on every page of a signed-in user: it is kept in
# the shared cache until that user's notifications change (here, and by the signals in
# apps.py for rows saved or deleted one by one, e.g. in the admin).
UNREAD_CACHE = "notifications-unread"


def unread_count(user) -> int:
    return cached(
        UNREAD_CACHE,
        user.pk,
        lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    )


def forget_unread_counts(user_ids) -> None:
    invalidate_many(UNREAD_CACHE, sorted(set(user_ids)))


__all__ = [
    "DeliveryStatus",
    "enqueue",
    "forget_unread_counts",
    "mark_read",
    "notify",
    "render",
    "unread_count",
]
