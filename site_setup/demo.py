"""Demo accounts and demo campaigns for the embedded default.

Demo campaigns are marked 演示 and are never public. Nothing here runs under
production settings.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from reform_cases.models import (
    AttachmentKind,
    Campaign,
    CampaignStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Field,
    Tier,
)
from reviews.models import Assignment, AssignmentStatus, ExpertProfile, Panel, ReviewRound
from reviews.rounds import services as rounds_services

DEMO_PASSWORD = "Demo-2020-pass"
DEMO_CALL = """演示用申报通知。

1. 申报主体:各设区市、县(市、区)党委政府和省直单位。
2. 每个单位最多申报 **3** 个案例。
3. 须上传申报书和加盖公章的推荐函(PDF)。
"""
DEMO_TIERS = [
    ("best", "最佳实践案例", "Best practice", 1, 10),
    ("excellent", "优秀实践案例", "Excellent practice", 2, 40),
]


def _tiers(campaign):
    for code, name, name_en, order, quota in DEMO_TIERS:
        Tier.objects.get_or_create(
            campaign=campaign,
            code=code,
            defaults={"name": name, "name_en": name_en, "order": order, "quota": quota},
        )


@transaction.atomic
def create_demo_data() -> list[str]:
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured("Demo data is refused under production settings.")
    done = []
    locality_org = Organisation.objects.get(name="西湖区", parent__name="杭州市")
    accounts = [
        ("demo-locality", Role.LOCALITY, locality_org, "演示申报单位用户"),
        ("demo-expert", Role.EXPERT, None, "演示评审专家"),
        ("demo-admin", Role.ADMINISTRATOR, None, "演示组织方"),
    ]
    for username, role, organisation, display_name in accounts:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "organisation": organisation,
                "display_name": display_name,
                "email": f"{username}@example.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            done.append(username)

    now = timezone.now()
    year = timezone.localdate().year
    open_campaign, created = Campaign.objects.get_or_create(
        year=year,
        is_demo=True,
        defaults={
            "title": f"{year}年度改革创新实践案例(演示)",
            "title_en": f"Reform and Innovation Practice Cases {year} (demo)",
            "status": CampaignStatus.OPEN,
            "submission_opens_at": now - timedelta(days=1),
            "submission_closes_at": now + timedelta(days=60),
            "max_cases_per_organisation": 3,
            "required_attachment_kinds": [
                AttachmentKind.APPLICATION_FORM,
                AttachmentKind.RECOMMENDATION_LETTER,
            ],
            "call_for_entries": DEMO_CALL,
        },
    )
    _tiers(open_campaign)
    if created:
        done.append(open_campaign.title)

    review_campaign, created = Campaign.objects.get_or_create(
        year=year - 1,
        is_demo=True,
        defaults={
            "title": f"{year - 1}年度改革创新实践案例(演示·评审中)",
            "title_en": f"Reform and Innovation Practice Cases {year - 1} (demo, in review)",
            "status": CampaignStatus.REVIEWING,
            "submission_opens_at": now - timedelta(days=120),
            "submission_closes_at": now - timedelta(days=60),
        },
    )
    _tiers(review_campaign)
    if created:
        done.append(review_campaign.title)
        fields = list(Field.objects.order_by("order"))
        units = list(
            Organisation.objects.filter(kind=OrganisationKind.COUNTY)
            .select_related("parent")
            .order_by("pk")[:8]
        )
        for i, unit in enumerate(units):
            case = Case.objects.create(
                campaign=review_campaign,
                title=f"{unit.name}基层治理数字化改革(演示案例{i + 1})",
                organisation=unit,
                region=unit.parent,
                field=fields[i % len(fields)],
                summary="演示用案例,内容为虚构。",
                status=CaseStatus.ACCEPTED,
            )
            CaseEvent.objects.create(case=case, kind=CaseEventKind.SUBMITTED, note="演示数据")
            CaseEvent.objects.create(case=case, kind=CaseEventKind.ACCEPTED, note="演示数据")
    return done


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
    rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    panel, _created = Panel.objects.get_or_create(
        campaign=campaign, name="综合组", defaults={"chair": expert}
    )
    panel.members.add(expert)
    now = timezone.now()
    review_round = ReviewRound.objects.create(
        campaign=campaign,
        name="初评",
        order=1,
        reviewers_per_case=1,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
    )
    review_round.panels.add(panel)
    rounds_services.add_accepted_cases(review_round=review_round, by=None)
    for case in review_round.cases.order_by("pk")[:4]:
        Assignment.objects.create(
            round=review_round,
            case=case,
            expert=expert,
            status=AssignmentStatus.CONFIRMED,
            confirmed_at=now,
        )
    return [f"{campaign.title} · {review_round.name}"]
