"""Demo review round for the embedded default: demo-expert has cases waiting."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from reform_cases.models import Campaign, CampaignStatus

from . import services
from .models import Assignment, AssignmentStatus, ExpertProfile, Panel, ReviewRound


@transaction.atomic
def create_demo_review() -> list[str]:
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured("Demo data is refused under production settings.")
    campaign = Campaign.objects.filter(is_demo=True, status=CampaignStatus.REVIEWING).first()
    expert = User.objects.filter(username="demo-expert", role=Role.EXPERT).first()
    if campaign is None or expert is None or campaign.rounds.exists():
        return []
    ExpertProfile.objects.get_or_create(
        user=expert,
        defaults={
            "affiliation": Organisation.objects.filter(name="省大数据局").first(),
            "inside_province": True,
            "max_cases_per_round": 30,
        },
    )
    services.ensure_default_rubric(campaign=campaign, by=None)
    panel, _created = Panel.objects.get_or_create(
        campaign=campaign, name="综合组", defaults={"chair": expert}
    )
    panel.members.add(expert)
    now = timezone.now()
    round = ReviewRound.objects.create(
        campaign=campaign,
        name="初评",
        order=1,
        reviewers_per_case=1,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
    )
    round.panels.add(panel)
    services.add_accepted_cases(round=round, by=None)
    for case in round.cases.order_by("pk")[:4]:
        Assignment.objects.create(
            round=round,
            case=case,
            expert=expert,
            status=AssignmentStatus.CONFIRMED,
            confirmed_at=now,
        )
    return [f"{campaign.title} · {round.name}"]
