"""Planted repeated submissions (重复申报) for the demo and for bench/resubmission.py.

Two demo campaigns, year Y and Y + 1 (never public). Year Y holds `n` original cases and `n`
unrelated cases on the same topics by other counties; year Y + 1 holds, submitted, `n` rewrites
of the originals (site_setup/case_writer.rewrite: a new title, 30% of the sentences edited or
moved, the figures of the new year) and `n` new unrelated cases on the same topics. Everything
is indexed and each case of Y + 1 compared through case_text's own service, as after a
submission.

The ground truth is returned (`PlantedSet.truth`: rewrite id → original id) and written into
each rewrite's record: its submission event's note says "改写自案例 #<id>" (`TRUTH_NOTE`).
"""

import random
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from audit import chain
from case_text.models import CaseSignature
from case_text.resubmission import services as resubmission_services
from reform_cases.models import (
    Campaign,
    CampaignStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseOutcome,
    CaseStatus,
    Tier,
)
from site_setup.case_writer import TOPICS, retitle, rewrite, title_for, write_case

TRUTH_NOTE = "合成数据(重复申报):改写自案例 #{original}"
TRUTH_PATTERN = re.compile(r"改写自案例 #(\d+)")


@dataclass
class PlantedSet:
    earlier: Campaign
    later: Campaign
    truth: dict[int, int]  # rewrite id → original id
    unrelated: list[int] = field(default_factory=list)  # year Y + 1 cases that copy nothing
    seconds: float = 0.0


def _counties():
    counties = list(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY)
        .select_related("parent")
        .order_by("pk")
    )
    if len(counties) < 2:
        raise ImproperlyConfigured(
            "Load the reference organisations first (python manage.py setup_site)."
        )
    return counties


def _campaign(year, status, n):
    if Campaign.objects.filter(year=year, is_demo=True).exists():
        raise ImproperlyConfigured(
            f"A demo campaign for {year} exists already: choose another --seed."
        )
    now = timezone.now()
    return Campaign.objects.create(
        year=year,
        is_demo=True,
        title=f"{year}年度改革创新实践案例(演示·重复申报核查 {n} 组)",
        status=status,
        submission_opens_at=now - timedelta(days=60),
        submission_closes_at=now - timedelta(days=5),
    )


def _case(campaign, unit, title, sections, status, submitted_at, **extra):
    return Case(
        campaign=campaign,
        title=title[:200],
        title_key=title[:200],
        organisation=unit,
        region=unit.parent,
        status=status,
        submitted_at=submitted_at,
        contact_name="联系人",
        contact_phone="0571-87000000",
        **sections,
        **extra,
    )


def _unique_titles(rows):
    seen = set()
    for row in rows:
        while row.title in seen:
            row.title = row.title_key = f"{row.title}·"
        seen.add(row.title)
    return rows


def plant_resubmissions(*, n: int, seed: int, log=print) -> PlantedSet:
    """Plant `n` repeated submissions and `2n` unrelated cases on the same topics; compare."""
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured("seed_demo is refused under production settings.")
    started = time.perf_counter()
    rng = random.Random(seed)
    counties = _counties()
    topics = list(TOPICS)
    year = 2080 + seed % 9
    now = timezone.now()
    with transaction.atomic():
        earlier = _campaign(year, CampaignStatus.PUBLISHED, n)
        later = _campaign(year + 1, CampaignStatus.CHECKING, n)
        best = Tier.objects.create(
            campaign=earlier,
            code="best",
            name="最佳实践案例",
            name_en="Best practice",
            order=1,
            quota=n,
        )
        plan, old_rows, new_rows = [], [], []
        for i in range(n):
            topic = topics[i % len(topics)]
            unit, other, third = rng.sample(counties, 3)
            sections = write_case(rng, topic, unit.name)
            title = title_for(rng, topic, unit.name)
            awarded = rng.random() < 0.3
            old_rows.append(
                _case(earlier, unit, f"{title}({i + 1})", sections, CaseStatus.ACCEPTED,
                      now - timedelta(days=400),
                      outcome=CaseOutcome.AWARDED if awarded else CaseOutcome.NOT_AWARDED,
                      tier=best if awarded else None)
            )  # fmt: skip
            decoy = write_case(rng, topic, other.name)
            old_rows.append(
                _case(earlier, other, f"{title_for(rng, topic, other.name)}({n + i + 1})", decoy,
                      CaseStatus.ACCEPTED, now - timedelta(days=400), outcome=CaseOutcome.NOT_AWARDED)
            )  # fmt: skip
            again = rewrite(rng, sections, topic, unit.name)
            new_rows.append(
                _case(later, unit, retitle(rng, title, topic, unit.name), again,
                      CaseStatus.SUBMITTED, now - timedelta(days=10 - i % 7))
            )  # fmt: skip
            fresh = write_case(rng, topic, third.name)
            new_rows.append(
                _case(later, third, title_for(rng, topic, third.name), fresh,
                      CaseStatus.SUBMITTED, now - timedelta(days=10 - i % 7))
            )  # fmt: skip
            plan.append(i)
        old = Case.objects.bulk_create(_unique_titles(old_rows), batch_size=1000)
        new = Case.objects.bulk_create(_unique_titles(new_rows), batch_size=1000)
        if (old and old[0].pk is None) or (new and new[0].pk is None):  # backends without RETURNING
            old = list(Case.objects.filter(campaign=earlier).order_by("pk"))
            new = list(Case.objects.filter(campaign=later).order_by("pk"))
        truth = {new[2 * i].pk: old[2 * i].pk for i in plan}
        events = CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    kind=CaseEventKind.SUBMITTED,
                    note=TRUTH_NOTE.format(original=truth[case.pk])
                    if case.pk in truth
                    else "合成数据(重复申报核查):无关案例",
                )
                for case in new
            ],
            batch_size=2000,
        )
        if events and events[0].pk is None:
            events = list(CaseEvent.objects.filter(case__campaign=later).order_by("pk"))
        chain.rows_created(events)  # bulk inserts send no signal: chain them here
    log(
        f"planted: {n} repeated submissions, {3 * n} unrelated cases ({time.perf_counter() - started:.1f}s)"
    )

    resubmission_services.index_cases(case_ids=[c.pk for c in old])
    # Year Y's cases were compared when they were submitted: mark them so, without pairs
    # among them (they are not what is measured).
    CaseSignature.objects.filter(case__campaign=earlier).update(detected_at=now)
    for case in new:
        resubmission_services.detect_resubmission(case_id=case.pk)
    seconds = time.perf_counter() - started
    log(f"compared: {len(new)} cases ({seconds:.1f}s)")
    return PlantedSet(
        earlier=earlier,
        later=later,
        truth=truth,
        unrelated=[c.pk for c in new if c.pk not in truth],
        seconds=seconds,
    )


def truth_from_records(later: Campaign) -> dict[int, int]:
    """The ground truth read back from the rewrites' submission events."""
    truth = {}
    for case_id, note in CaseEvent.objects.filter(
        case__campaign=later, kind=CaseEventKind.SUBMITTED
    ).values_list("case_id", "note"):
        match = TRUTH_PATTERN.search(note)
        if match:
            truth[case_id] = int(match.group(1))
    return truth
