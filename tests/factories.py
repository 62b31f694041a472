"""The one place that builds test data: factory_boy factories and plain builder functions.

Names carry a sequence number, so factories never collide with the shipped
fixtures (real names such as 杭州市 or 西湖区) or with each other.

Sections:
* factories of the foundation's models (organisations, users, fields, campaigns, tiers, cases);
* submission: campaigns taking entries, drafts, complete and submitted cases, uploads;
* expert review: a campaign in review, cases with every section filled in, experts with
  profiles, the rubric, open rounds, confirmed assignments, reviews through the services;
* ranking: a campaign being ranked, closed rounds whose reviews are written straight with
  the ORM (bulk_create);
* the award's records: ranking entries, tier overrides and round events;
* files to import.

Reading helpers (fixture look-ups, reference CSV rows, messages, page sections) are in
tests/helpers.py; fixtures in tests/conftest.py.
"""

import csv
import itertools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from reform_cases.models import (
    AttachmentKind,
    Campaign,
    CampaignStatus,
    Case,
    CaseOutcome,
    CaseStatus,
    Field,
    Tier,
    normalise_title,
)
from reform_cases.submission import services as submission_services
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    ExpertProfile,
    RankingEntry,
    Review,
    ReviewRound,
    ReviewStatus,
    RoundEvent,
    RoundEventKind,
    Score,
    TierOverride,
    Visibility,
)
from reviews.scoring import services as scoring_services

PASSWORD = "Test-pass-2020"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = OrganisationKind.OTHER
    parent = None


class CityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"测试市{n}")
    kind = OrganisationKind.CITY


class CountyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"测试县{n}")
    kind = OrganisationKind.COUNTY
    parent = factory.SubFactory(CityFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    role = ""
    organisation = None
    password = factory.django.Password(PASSWORD)

    class Params:
        locality = factory.Trait(role=Role.LOCALITY, organisation=factory.SubFactory(CountyFactory))
        expert = factory.Trait(role=Role.EXPERT)
        administrator = factory.Trait(role=Role.ADMINISTRATOR)


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field

    name = factory.Sequence(lambda n: f"测试领域{n}")
    name_en = factory.Sequence(lambda n: f"Test field {n}")
    order = factory.Sequence(lambda n: 100 + n)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    # Far from the real years (2019, 2020) and the demo years (this year and last).
    year = factory.Sequence(lambda n: 2200 + n)
    title = factory.LazyAttribute(lambda c: f"{c.year}年度测试评选")
    title_en = factory.LazyAttribute(lambda c: f"Test awards {c.year}")
    status = CampaignStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"tier{n}")
    name = factory.Sequence(lambda n: f"测试等次{n}")
    name_en = factory.Sequence(lambda n: f"Test tier {n}")
    order = factory.Sequence(lambda n: n + 1)
    quota = 10


class CaseFactory(factory.django.DjangoModelFactory):
    """An awarded case of a published campaign (public), unless told otherwise."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"测试案例{n}")
    organisation = factory.SubFactory(CountyFactory)
    region = factory.LazyAttribute(lambda c: c.organisation.parent if c.organisation else None)
    field = factory.SubFactory(FieldFactory)
    summary = "测试用案例。"
    status = CaseStatus.ACCEPTED
    outcome = CaseOutcome.AWARDED
    tier = factory.Maybe(
        factory.LazyAttribute(lambda c: c.outcome == CaseOutcome.AWARDED),
        yes_declaration=factory.SubFactory(
            TierFactory, campaign=factory.SelfAttribute("..campaign")
        ),
        no_declaration=None,
    )

    @factory.post_generation
    def co_organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.co_organisations.set(extracted)


# --- submission: campaigns taking entries, drafts, uploads -----------------------------

# A small PDF that starts like every PDF does ("%PDF-").
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

REQUIRED_KINDS = [AttachmentKind.APPLICATION_FORM, AttachmentKind.RECOMMENDATION_LETTER]

# Every required field of a case, filled in (field is added by complete_fields()).
TEXT = {
    "title": "“最多跑一次”改革再深化",
    "summary": "以群众和企业到政府办事“最多跑一次”为目标。",
    "background": "办事难、办事慢、多头跑。",
    "measures": "一窗受理、集成服务。",
    "results": "平均办理时间缩短一半。",
    "innovation": "以数据共享替代材料提交。",
    "replicability": "已在全省推广。",
    "contact_name": "张三",
    "contact_phone": "13800138000",
}
TEXT_FIELDS = (
    "title",
    "summary",
    "background",
    "measures",
    "results",
    "innovation",
    "replicability",
    "contact_name",
)


def pdf(name="申报书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def open_campaign(**kwargs):
    """A campaign taking submissions now; both the application form and the letter required."""
    now = timezone.now()
    values = {
        "status": CampaignStatus.OPEN,
        "published_at": None,
        "submission_opens_at": now - timedelta(days=10),
        "submission_closes_at": now + timedelta(days=30),
        "required_attachment_kinds": [str(k) for k in REQUIRED_KINDS],
    }
    values.update(kwargs)
    return CampaignFactory(**values)


_numbers = itertools.count(1)


def complete_fields(**overrides):
    """Model values of a case with every required field (titles unique within a campaign)."""
    title = f"{TEXT['title']}({next(_numbers)})"
    return {**TEXT, "title": title, "field": FieldFactory(), **overrides}


def draft_case(campaign, organisation, **fields) -> Case:
    """A draft of `organisation` (only what is given is filled in)."""
    values = {
        "campaign": campaign,
        "organisation": organisation,
        "status": CaseStatus.DRAFT,
        "outcome": CaseOutcome.PENDING,
        "summary": "",
        "field": None,
    }
    values.update(fields)
    return CaseFactory(**values)


def attach(case, by, kind=AttachmentKind.APPLICATION_FORM, name="申报书.pdf", content=PDF):
    return submission_services.add_attachment(
        case=case, by=by, upload=pdf(name, content), kind=str(kind)
    )


def stored_attachment(case, name="申报书.pdf", content=PDF, *, hidden_from_experts=False):
    """A file of `case` written straight to the store, whatever the case's status (the
    service refuses files once a case is submitted)."""
    from reform_cases.models import Attachment

    attachment = Attachment(
        case=case,
        kind=AttachmentKind.SUPPORTING,
        original_name=name,
        content_type="application/octet-stream",
        size=len(content),
        hidden_from_experts=hidden_from_experts,
    )
    attachment.file.save(name, SimpleUploadedFile(name, content), save=False)
    attachment.save()
    return attachment


def complete_case(campaign, organisation, by, **overrides) -> Case:
    """A draft with every required field and attachment kind: ready to submit."""
    case = draft_case(campaign, organisation, **complete_fields(**overrides))
    for kind in campaign.required_attachment_kinds:
        attach(case, by, kind=kind, name=f"{kind}.pdf")
    return case


def submitted_case(campaign, organisation, by, **overrides) -> Case:
    case = complete_case(campaign, organisation, by, **overrides)
    return submission_services.submit_case(case=case, by=by)


def form_data(case=None, **overrides) -> dict:
    """The POST of the case form: the case's current values, then `overrides`."""
    data = {}
    if case is not None:
        for name in (*TEXT_FIELDS, "contact_phone"):
            data[name] = getattr(case, name)
        data["field"] = case.field_id or ""
        data["co_organisations"] = [o.pk for o in case.co_organisations.all()]
        data["edit_version"] = case.edit_version  # the version the page was drawn from
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- expert review: experts, rubric, open rounds, assignments, reviews --------------------

OVERALL = "做法扎实,成效有数据支撑。"
# A rubric with unequal maxima and weights (Σw = 3).
RUBRIC = [("创新性", "25", "1.2"), ("实效性", "20", "1"), ("群众获得感", "15", "0.8")]


def reviewing_campaign(**kwargs):
    """A campaign in expert review (not public)."""
    values = {"status": CampaignStatus.REVIEWING, "published_at": None}
    values.update(kwargs)
    return CampaignFactory(**values)


def accepted_case_for_review(campaign, organisation=None, *, co=(), **kwargs):
    """An accepted case of `organisation` (a new county by default) with every section filled in."""
    organisation = organisation or CountyFactory()
    values = {
        "campaign": campaign,
        "organisation": organisation,
        "region": organisation.parent or organisation,
        "status": CaseStatus.ACCEPTED,
        "outcome": CaseOutcome.PENDING,
        "summary": "以数据共享替代材料提交。",
        "background": "办事难、办事慢。",
        "measures": "一窗受理、集成服务。",
        "results": "平均办理时间缩短一半。",
        "innovation": "首创“无证明城市”。",
        "replicability": "已在全省推广。",
        "co_organisations": list(co),
    }
    values.update(kwargs)
    return CaseFactory(**values)


def make_expert(*, affiliation=None, max_cases=30, name=None, institution="", **kwargs):
    """An expert account with a profile (affiliated with `affiliation`, or an outside institution)."""
    user = UserFactory(expert=True, **kwargs)
    if name:
        user.display_name = name
        user.save(update_fields=["display_name"])
    ExpertProfile.objects.create(
        user=user,
        affiliation=affiliation,
        institution=institution or ("" if affiliation else "省外某大学"),
        inside_province=affiliation is not None,
        max_cases_per_round=max_cases,
    )
    return user


def make_rubric(campaign, spec=RUBRIC):
    """Criteria of `campaign` from (name, maximum, weight) triples, in that order."""
    return [
        Criterion.objects.create(
            campaign=campaign, name=name, max_score=Decimal(top), weight=Decimal(w), order=i
        )
        for i, (name, top, w) in enumerate(spec, start=1)
    ]


def make_open_round(
    campaign,
    *,
    cases=(),
    k=3,
    visibility=Visibility.AFTER_CLOSE,
    blind=False,
    opens=None,
    closes=None,
    order=None,
    name="初评",
    panels=(),
):
    """A round open now (yesterday to in two weeks) unless told otherwise."""
    now = timezone.now()
    if order is None:
        order = campaign.rounds.count() + 1
    round = ReviewRound.objects.create(
        campaign=campaign,
        name=name,
        order=order,
        reviewers_per_case=k,
        opens_at=opens or now - timedelta(days=1),
        closes_at=closes or now + timedelta(days=14),
        visibility=visibility,
        blind=blind,
    )
    round.cases.add(*cases)
    round.panels.add(*panels)
    return round


def confirmed(round, case, expert):
    """A confirmed assignment, as after confirm_assignments."""
    return Assignment.objects.create(
        round=round,
        case=case,
        expert=expert,
        status=AssignmentStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )


def score_data(criteria, values, *, comments=None, overall=OVERALL, tier="", submit=False):
    """The POST of the score form: one value (and comment) per criterion, in order."""
    data = {"overall_comment": overall, "recommended_tier": tier}
    for i, (criterion, value) in enumerate(zip(criteria, values, strict=True)):
        data[f"score_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = (comments or {}).get(i, "")
    data["submit" if submit else "save"] = "1"
    return data


def review_of(assignment, criteria, values, *, submit=True, overall=OVERALL):
    """Save (and by default submit) a review through the service, pledging first."""
    scoring_services.accept_pledge(review_round=assignment.round, expert=assignment.expert)
    return scoring_services.save_review(
        assignment=assignment,
        by=assignment.expert,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        comments={},
        overall_comment=overall,
        submit=submit,
    )


class Desk:
    """A review scene: the objects a fixture builds, as attributes."""


def make_desk():
    """One expert with one confirmed, pledged assignment in an open round."""
    d = Desk()
    d.campaign = reviewing_campaign()
    d.criteria = make_rubric(d.campaign)
    d.tier = TierFactory(campaign=d.campaign, name="最佳实践案例")
    d.case = accepted_case_for_review(d.campaign, title="“无证明城市”改革")
    d.round = make_open_round(d.campaign, cases=[d.case])
    d.expert = make_expert(name="钱评审")
    d.assignment = confirmed(d.round, d.case, d.expert)
    scoring_services.accept_pledge(review_round=d.round, expert=d.expert)
    return d


# --- ranking: closed rounds with reviews written in bulk -----------------------------------
#
# Building review rounds quickly for the ranking and publication tests (plain functions).
#
# Reviews are written straight with the ORM (bulk_create): a round, confirmed
# assignments, submitted reviews and their raw per-criterion scores. The
# ranking is then derived from those raw scores, as in production.
#
# The rubric has two criteria with unequal maxima and weights:
#     创新性  max 10, weight 3
#     实效性  max 20, weight 1         (Σw = 4)
# so a review's total is 100 · (3·a/10 + 1·b/20) / 4 = 7.5·a + 1.25·b.
# `scores_for(T)` picks a = T/10 + 0.4 and b = 0.2·T − 2.4 (one decimal each, for
# any whole T from 12 to 96): 7.5·a + 1.25·b = 0.75T + 3 + 0.25T − 3 = T.
# The two criteria get different fractions of their maxima, so a total that
# ignored the weights or the maxima would not come out as T (e.g. T = 84:
# a = 8.8, b = 14.4 → 66 + 18 = 84; unweighted it would be 80).


def scores_for(total: int) -> tuple[Decimal, Decimal]:
    """Raw scores (创新性, 实效性) whose weighted total is exactly `total`."""
    if int(total) != total or not 12 <= total <= 96:
        raise ValueError(f"scores_for takes a whole total from 12 to 96, not {total}")
    a = Decimal(total) / 10 + Decimal("0.4")
    b = Decimal(total) / 5 - Decimal("2.4")
    assert Decimal("7.5") * a + Decimal("1.25") * b == total
    return a, b


def ranking_campaign(*, best=2, excellent=3, status=CampaignStatus.RANKING, **kwargs):
    """A campaign (not yet public) with tiers 最佳 / 优秀 and the two-criterion rubric."""
    campaign = CampaignFactory(status=status, published_at=None, **kwargs)
    campaign.best = TierFactory(
        campaign=campaign, code="best", name="最佳实践案例", order=1, quota=best
    )
    campaign.excellent = TierFactory(
        campaign=campaign, code="excellent", name="优秀实践案例", order=2, quota=excellent
    )
    Criterion.objects.create(
        campaign=campaign, name="创新性", max_score=Decimal("10"), weight=Decimal("3"), order=1
    )
    Criterion.objects.create(
        campaign=campaign, name="实效性", max_score=Decimal("20"), weight=Decimal("1"), order=2
    )
    return campaign


def accepted_case_for_ranking(campaign, title, **kwargs):
    """An accepted case without an outcome yet (the state cases are in while being ranked)."""
    kwargs = {"status": CaseStatus.ACCEPTED, "outcome": CaseOutcome.PENDING, **kwargs}
    return CaseFactory(campaign=campaign, title=title, **kwargs)


def make_closed_round(campaign, *, order=1, name=None, cases=()):
    now = timezone.now()
    round = ReviewRound.objects.create(
        campaign=campaign,
        name=name or ("初评" if order == 1 else f"第{order}轮"),
        order=order,
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
    )
    if cases:
        round.cases.add(*cases)
    return round


def experts_without_profile(n, prefix="专家"):
    return [UserFactory(expert=True, display_name=f"{prefix}{i + 1}") for i in range(n)]


def add_reviews(round, plan, *, pool=None, status=ReviewStatus.SUBMITTED):
    """Write submitted reviews: `plan` maps a case to its totals, or to (expert, total) pairs.

    With plain totals, review i of a case is by `pool[i]` (experts are created as needed).
    The cases are added to the round. Returns the expert pool.
    """
    pool = list(pool or [])
    width = max((len(v) for v in plan.values()), default=0)
    if len(pool) < width:
        pool += experts_without_profile(width - len(pool), prefix=f"专家R{round.pk}-")
    criteria = list(round.campaign.criteria.order_by("order"))
    round.cases.add(*plan)
    assignments, totals = [], []
    now = timezone.now()
    for case, reviews in plan.items():
        for i, item in enumerate(reviews):
            expert, total = item if isinstance(item, tuple) else (pool[i], item)
            assignments.append(
                Assignment(
                    round=round,
                    case=case,
                    expert=expert,
                    status=AssignmentStatus.CONFIRMED,
                    confirmed_at=now,
                )
            )
            totals.append(total)
    Assignment.objects.bulk_create(assignments)
    reviews = Review.objects.bulk_create(
        [
            Review(
                assignment=a,
                status=status,
                total=Decimal(t),
                submitted_at=now if status == ReviewStatus.SUBMITTED else None,
            )
            for a, t in zip(assignments, totals, strict=True)
        ]
    )
    Score.objects.bulk_create(
        [
            Score(review=review, criterion=criterion, value=value)
            for review, total in zip(reviews, totals, strict=True)
            for criterion, value in zip(criteria, scores_for(total), strict=True)
        ]
    )
    return pool


def bulk_cases(campaign, n, *, organisation=None, prefix="批量案例"):
    """n accepted cases written in one statement (for the query-count tests)."""
    objs = []
    for i in range(n):
        title = f"{prefix}{i:05d}"
        objs.append(
            Case(
                campaign=campaign,
                title=title,
                title_key=normalise_title(title),
                organisation=organisation,
                status=CaseStatus.ACCEPTED,
            )
        )
    return Case.objects.bulk_create(objs, batch_size=1000)


# --- the award's records: rows the services write, built here straight with the ORM --------


def ranking_entry(round, case, tier, *, rank=1):
    """`case` ranked in `round`, with `tier` proposed and final."""
    return RankingEntry.objects.create(
        round=round, case=case, rank=rank, n_reviews=3, proposed_tier=tier, final_tier=tier
    )


def tier_override(entry, *, by, to, reason="评审组合议后调整。"):
    """A recorded manual change of `entry`'s tier to `to`."""
    override = TierOverride.objects.create(
        entry=entry, actor=by, old_tier=entry.final_tier, new_tier=to, reason=reason
    )
    entry.final_tier, entry.overridden = to, True
    entry.save(update_fields=["final_tier", "overridden"])
    return override


def round_event(round, *, by, kind=RoundEventKind.RANKING_COMPUTED, note=""):
    return RoundEvent.objects.create(round=round, actor=by, kind=kind, note=note)


# --- files to import -----------------------------------------------------------------------


def write_csv(path: Path, rows, *, encoding="utf-8", header=True):
    """A results file for `import_results` (the columns of results-2020.csv, header first)."""
    lines = []
    if header:
        lines.append(["year", "tier", "title", "units", "region", "field", "evidence"])
    lines.extend(rows)
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(lines)
    return path


def tier_data(campaign, *, delete=(), renamed=None):
    """The POST of the tier rows as the campaign page sends them, ticking DELETE for `delete`."""
    tiers = list(campaign.tiers.order_by("order"))
    data = {
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(tiers):
        data |= {
            f"tiers-{i}-id": str(tier.pk),
            f"tiers-{i}-campaign": str(campaign.pk),
            f"tiers-{i}-order": str(tier.order),
            f"tiers-{i}-code": tier.code,
            f"tiers-{i}-name": (renamed or {}).get(tier.code, tier.name),
            f"tiers-{i}-name_en": tier.name_en,
            f"tiers-{i}-quota": str(tier.quota),
        }
        if tier in delete:
            data[f"tiers-{i}-DELETE"] = "on"
    return data


# --- two-factor log-in -----------------------------------------------------------------


def enrol_two_factor(user):
    """A confirmed authenticator (no code used yet) and ten recovery codes: (device, codes)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [f"{n:02d}" + StaticToken.random_token()[:6] for n in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    return device, codes
