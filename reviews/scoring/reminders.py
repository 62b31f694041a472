"""Deadline reminders: N days before a round closes and on its last day, once each."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from common.links import absolute_url
from common.timefmt import local_datetime
from notifications.models import NotificationKind
from notifications.services import notify
from reviews.models import (
    Assignment,
    AssignmentStatus,
    ReminderKind,
    ReminderSent,
    ReviewRound,
    ReviewStatus,
)


def reminder_kind(review_round: ReviewRound, now) -> ReminderKind | None:
    if not review_round.opens_at <= now <= review_round.closes_at:
        return None
    if timezone.localdate(now) == timezone.localdate(review_round.closes_at):
        return ReminderKind.LAST_DAY
    if now >= review_round.closes_at - timedelta(days=review_round.reminder_days):
        return ReminderKind.DAYS_BEFORE
    return None


def send_review_reminders(now=None) -> int:
    """Remind each expert with unsubmitted reviews; safe to run as often as wished."""
    now = now or timezone.now()
    sent = 0
    rounds = ReviewRound.objects.filter(opens_at__lte=now, closes_at__gte=now).select_related(
        "campaign"
    )
    for review_round in rounds:
        kind = reminder_kind(review_round, now)
        if kind is None:
            continue
        waiting = (
            Assignment.objects.filter(round=review_round, status=AssignmentStatus.CONFIRMED)
            .exclude(review__status=ReviewStatus.SUBMITTED)
            .select_related("expert", "case")
        )
        by_expert = {}
        for assignment in waiting:
            by_expert.setdefault(assignment.expert, []).append(assignment.case)
        for expert, cases in by_expert.items():
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(round=review_round, expert=expert, kind=kind)
                    notify(
                        [expert],
                        kind=NotificationKind.REVIEW_REMINDER,
                        obj=review_round,
                        context={
                            "round": review_round,
                            "cases": cases,
                            "last_day": kind == ReminderKind.LAST_DAY,
                            "deadline": local_datetime(review_round.closes_at),
                        },
                        link=absolute_url(reverse("reviews:workspace")),
                    )
                sent += 1
            except IntegrityError:  # already reminded (another run got there first)
                continue
    return sent
