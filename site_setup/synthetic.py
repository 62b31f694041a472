"""A deterministic synthetic campaign (演示) for load tests and demonstrations.

Everything is written with bulk inserts; the assignment and the ranking go
through the same services as real data. Never under production settings.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from audit import chain
from reform_cases.models import (
    CASE_SECTIONS,
    Attachment,
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
from reviews.assignment.proposal import propose_assignment
from reviews.audit_records import REVIEW_SUBMITTED, submitted_reviews
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    ExpertProfile,
    Panel,
    Review,
    ReviewRound,
    ReviewStatus,
    Score,
)
from reviews.ranking import services as ranking_services
from reviews.ranking.statistics import review_totals
from reviews.rounds import services as rounds_services

TOPICS = [
    "“最多跑一次”深化改革", "数字政府一体化平台", "基层治理“四平台”", "营商环境优化提升", "共同富裕示范",
    "乡村振兴集成改革", "“浙里办”掌上服务", "生态环境“码上治”", "企业开办“一件事”", "城市大脑应用",
    "社区嵌入式服务", "公共法律服务体系", "医保支付方式改革", "教育“双减”协同", "养老服务体系",
]  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _text(rng, unit, topic, part):
    sentences = {
        "summary": f"{unit}围绕{topic},以数字化改革为牵引,打通部门数据,重塑业务流程。",
        "background": f"过去{topic}涉及多个部门,群众和企业需要多头跑、重复交材料。",
        "measures": f"{unit}建立跨部门协同机制,统一受理入口,实行清单化管理和闭环督办。",
        "results": f"试点以来办理时间平均缩短{rng.randint(30, 80)}%,群众满意度达到{rng.randint(90, 99)}%。",
        "innovation": "首创“一窗受理、集成服务”的工作机制,实现数据多跑路、群众少跑腿。",
        "replicability": "做法已形成制度文件,可在全省同类地区复制推广。",
    }
    return sentences[part]


def seed_campaign(
    *,
    cases: int,
    experts: int,
    reviews_per_case: int,
    seed: int,
    year: int | None = None,
    log=print,
):
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured("seed_demo is refused under production settings.")
    started = time.perf_counter()
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    year = year or 2090 + seed % 9
    now = timezone.now()
    counties = list(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY)
        .select_related("parent")
        .order_by("pk")
    )
    if not counties:
        raise ImproperlyConfigured(
            "Load the reference organisations first (python manage.py setup_site)."
        )
    fields = list(Field.objects.order_by("order"))
    admin = User.objects.filter(role=Role.ADMINISTRATOR).first()

    with transaction.atomic():
        if Campaign.objects.filter(year=year, is_demo=True).exists():
            raise ImproperlyConfigured(
                f"A demo campaign for {year} exists already: choose another --year or --seed."
            )
        campaign = Campaign.objects.create(
            year=year,
            is_demo=True,
            title=f"{year}年度改革创新实践案例(演示·合成数据 {cases} 件)",
            status=CampaignStatus.REVIEWING,
            submission_opens_at=now - timedelta(days=90),
            submission_closes_at=now - timedelta(days=30),
        )
        Tier.objects.bulk_create(
            [
                Tier(
                    campaign=campaign,
                    code="best",
                    name="最佳实践案例",
                    name_en="Best practice",
                    order=1,
                    quota=10,
                ),
                Tier(
                    campaign=campaign,
                    code="excellent",
                    name="优秀实践案例",
                    name_en="Excellent practice",
                    order=2,
                    quota=40,
                ),
            ]
        )
        rounds_services.ensure_default_rubric(campaign=campaign, by=admin)

        # Experts: a quarter from outside the province, the rest in a county or city office.
        password = make_password(None)
        users = User.objects.bulk_create(
            [
                User(
                    username=f"synthetic-{year}-expert-{i:04d}",
                    display_name=f"专家{i:04d}",
                    email=f"expert{i:04d}.{year}@example.invalid",
                    role=Role.EXPERT,
                    password=password,
                )
                for i in range(experts)
            ],
            batch_size=1000,
        )
        if users and users[0].pk is None:
            users = list(
                User.objects.filter(username__startswith=f"synthetic-{year}-expert-").order_by(
                    "username"
                )
            )
        profiles = []
        for i, user in enumerate(users):
            outside = rng.random() < 0.25
            profiles.append(
                ExpertProfile(
                    user=user,
                    affiliation=None
                    if outside
                    else rng.choice(counties + [c.parent for c in counties[:11]]),
                    institution=f"省外高校{i % 17 + 1}" if outside else "",
                    inside_province=not outside,
                    max_cases_per_round=max(
                        1, int(np.ceil(cases * reviews_per_case / max(experts, 1) * 1.5))
                    ),
                )
            )
        profiles = ExpertProfile.objects.bulk_create(profiles, batch_size=1000)
        if profiles and profiles[0].pk is None:
            profiles = list(ExpertProfile.objects.filter(user__in=users).order_by("user__username"))
        through = ExpertProfile.fields.through
        through.objects.bulk_create(
            [
                through(expertprofile_id=p.pk, field_id=f.pk)
                for p in profiles
                for f in rng.sample(fields, 2)
            ],
            batch_size=5000,
        )
        panel = Panel.objects.create(campaign=campaign, name="综合组")
        panel.members.add(*users)
        log(f"experts: {len(users)} ({time.perf_counter() - started:.1f}s)")

        # Cases, accepted, with texts and one small PDF each.
        rows = []
        for i in range(cases):
            unit = counties[i % len(counties)] if i < len(counties) else rng.choice(counties)
            topic = TOPICS[i % len(TOPICS)]
            title = f"{unit.name}{topic}改革(第{i + 1}号)"
            rows.append(
                Case(
                    campaign=campaign,
                    title=title,
                    title_key=title,
                    organisation=unit,
                    region=unit.parent,
                    field=fields[i % len(fields)],
                    status=CaseStatus.ACCEPTED,
                    submitted_at=now - timedelta(days=40),
                    contact_name="联系人",
                    contact_phone="0571-87000000",
                    **{part: _text(rng, unit.name, topic, part) for part in CASE_SECTIONS},
                )
            )
        made = Case.objects.bulk_create(rows, batch_size=1000)
        if made and made[0].pk is None:
            made = list(Case.objects.filter(campaign=campaign).order_by("pk"))
        events = CaseEvent.objects.bulk_create(
            [CaseEvent(case=c, kind=CaseEventKind.ACCEPTED, note="合成数据") for c in made],
            batch_size=2000,
        )
        if events and events[0].pk is None:
            events = list(CaseEvent.objects.filter(case__campaign=campaign).order_by("pk"))
        chain.rows_created(events)  # bulk inserts send no signal: chain them here
        folder = Path(settings.MEDIA_ROOT) / "attachments" / str(campaign.pk) / "synthetic"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "application.pdf").write_bytes(PDF)
        Attachment.objects.bulk_create(
            [
                Attachment(
                    case=c,
                    kind=AttachmentKind.APPLICATION_FORM,
                    file=f"attachments/{campaign.pk}/synthetic/application.pdf",
                    original_name="申报书.pdf",
                    content_type="application/pdf",
                    size=len(PDF),
                )
                for c in made
            ],
            batch_size=2000,
        )
        declared = [
            Conflict(
                expert=rng.choice(users),
                case=rng.choice(made),
                source=ConflictSource.DECLARED,
                reason="曾参与该项目论证",
            )
            for _ in range(max(1, cases // 100))
        ]
        Conflict.objects.bulk_create(declared, ignore_conflicts=True)
        log(f"cases: {len(made)} ({time.perf_counter() - started:.1f}s)")

        review_round = ReviewRound.objects.create(
            campaign=campaign,
            name="初评",
            order=1,
            reviewers_per_case=reviews_per_case,
            opens_at=now - timedelta(days=20),
            closes_at=now + timedelta(days=10),
        )
        review_round.panels.add(panel)
        review_round.cases.add(*made)

    proposal = propose_assignment(review_round=review_round, by=admin, accept_partial=True)
    Assignment.objects.filter(round=review_round, status=AssignmentStatus.PROPOSED).update(
        status=AssignmentStatus.CONFIRMED, confirmed_at=now
    )
    log(
        f"assignment: {proposal.created} (loads {proposal.min_load}–{proposal.max_load}) ({time.perf_counter() - started:.1f}s)"
    )

    with transaction.atomic():
        assignments = list(
            Assignment.objects.filter(round=review_round).values_list("pk", "expert_id")
        )
        criteria = list(campaign.criteria.order_by("order"))
        maxima = np.array([float(c.max_score) for c in criteria])
        weights = np.array([float(c.weight) for c in criteria])
        expert_ids = sorted({e for _a, e in assignments})
        leniency = dict(zip(expert_ids, nrng.normal(0, 0.06, len(expert_ids)), strict=True))
        quality = nrng.normal(0.75, 0.08, len(assignments))
        noise = nrng.normal(0, 0.05, (len(assignments), len(criteria)))
        ratio = np.clip(
            quality[:, None] + noise + np.array([leniency[e] for _a, e in assignments])[:, None],
            0.2,
            1.0,
        )
        values = np.round(ratio * maxima * 2) / 2  # steps of 0.5
        totals = review_totals(values, maxima, weights)
        reviews = Review.objects.bulk_create(
            [
                Review(
                    assignment_id=a,
                    status=ReviewStatus.SUBMITTED,
                    overall_comment="合成评审意见",
                    total=Decimal(str(round(t, 2))),
                    submitted_at=now,
                )
                for (a, _e), t in zip(assignments, totals, strict=True)
            ],
            batch_size=2000,
        )
        if reviews and reviews[0].pk is None:
            reviews = list(
                Review.objects.filter(assignment__round=review_round).order_by("assignment_id")
            )
        Score.objects.bulk_create(
            [
                Score(review_id=r.pk, criterion_id=c.pk, value=Decimal(str(values[i, j])))
                for i, r in enumerate(reviews)
                for j, c in enumerate(criteria)
            ],
            batch_size=5000,
        )
        chain.states_recorded(
            REVIEW_SUBMITTED, submitted_reviews().filter(assignment__round=review_round)
        )
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RANKING)
    log(f"reviews: {len(reviews)} ({time.perf_counter() - started:.1f}s)")
    ranking_services.compute_ranking(review_round=review_round, by=admin)
    log(f"ranking done ({time.perf_counter() - started:.1f}s)")
    return campaign
