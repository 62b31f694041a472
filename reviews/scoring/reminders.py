"""Deadline reminders: N days before a round closes and on its last day, once each."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.services import notify
from reviews.models import Assignment, AssignmentStatus, ReminderSent, ReviewRound, ReviewStatus


def reminder_kind(round: ReviewRound, now) -> str | None:
    if not round.opens_at <= now <= round.closes_at:
        return None
    if timezone.localdate(now) == timezone.localdate(round.closes_at):
        return "last_day"
    if now >= round.closes_at - timedelta(days=round.reminder_days):
        return "days_before"
    return None


def send_review_reminders(now=None) -> int:
    """Remind each expert with unsubmitted reviews; safe to run as often as wished."""
    now = now or timezone.now()
    sent = 0
    rounds = ReviewRound.objects.filter(opens_at__lte=now, closes_at__gte=now).select_related(
        "campaign"
    )
    for round in rounds:
        kind = reminder_kind(round, now)
        if kind is None:
            continue
        waiting = (
            Assignment.objects.filter(round=round, status=AssignmentStatus.CONFIRMED)
            .exclude(review__status=ReviewStatus.SUBMITTED)
            .select_related("expert", "case")
        )
        by_expert = {}
        for assignment in waiting:
            by_expert.setdefault(assignment.expert, []).append(assignment.case)
        for expert, cases in by_expert.items():
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(round=round, expert=expert, kind=kind)
                    notify(
                        [expert],
                        kind="review_reminder",
                        obj=round,
                        context={
                            "round": round,
                            "cases": cases,
                            "last_day": kind == "last_day",
                            "deadline": timezone.localtime(round.closes_at).strftime(
                                "%Y-%m-%d %H:%M"
                            ),
                        },
                        link=f"{settings.SITE_URL}/review/",
                    )
                sent += 1
            except IntegrityError:  # already reminded (another run got there first)
                continue
    return sent
