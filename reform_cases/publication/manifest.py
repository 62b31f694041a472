"""The results manifest: the published list frozen with everything needed to recompute it.

On publication `freeze_manifest` writes version 1: the published list (case, tier, rank)
and the sections that other apps register (`register_section`): `reviews` adds the ranking
configuration, every override with its reason and the anonymised raw scores. A correction
after publication appends a new version that carries it and the previous version's hash.
The content is public; its SHA-256 is shown on the results page.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from audit.chain import canonical
from reform_cases.models import Campaign, ResultsManifest
from reform_cases.publication.selectors import public_cases, public_corrections

FORMAT = 1
HISTORICAL_REASON = ResultsManifest.HISTORICAL_REASON
# Builders of further sections: (campaign, public case ids) -> dict, merged into the content.
_sections: list[Callable[[Campaign, set[int]], dict]] = []


def register_section(builder: Callable[[Campaign, set[int]], dict]) -> None:
    if builder not in _sections:
        _sections.append(builder)


def sha256_of(content: dict) -> str:
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def published_list(campaign: Campaign) -> list[dict]:
    return [
        {
            "id": str(case.pk),
            "title": case.title,
            "organisation": case.organisation.name if case.organisation else None,
            "tier": case.tier.code if case.tier else None,
            "outcome": case.outcome,
            "rank": case.rank,
        }
        for case in public_cases(campaign).order_by("pk")
    ]


def corrections_of(campaign: Campaign) -> list[dict]:
    return [
        {
            "case": str(c.case_id),
            "field": c.field_name,
            "old": c.old_value,
            "new": c.new_value,
            "reason": c.reason,
            "at": c.at,
        }
        # The public ones only: a case that was never public stays unnamed here too.
        for c in public_corrections(campaign).order_by("at", "pk")
    ]


def build_content(campaign: Campaign, *, version: int, previous: str, reason: str) -> dict:
    published = published_list(campaign)
    content = {
        "format": FORMAT,
        "campaign": {
            "year": campaign.year,
            "title": campaign.title,
            "announced_on": campaign.announced_on.isoformat() if campaign.announced_on else None,
        },
        "version": version,
        "previous_sha256": previous or None,
        "frozen_at": timezone.now().replace(microsecond=0),
        "reason": reason,
        "tiers": [
            {"code": t.code, "name": t.name, "order": t.order, "quota": t.quota}
            for t in campaign.tiers.order_by("order")
        ],
        "published": published,
        "corrections": corrections_of(campaign),
    }
    public_ids = {int(item["id"]) for item in published}
    for builder in _sections:
        content.update(builder(campaign, public_ids))
    return content


@transaction.atomic
def freeze_manifest(*, campaign: Campaign, by, reason: str) -> ResultsManifest:
    """Append the next version of the campaign's manifest (version 1 on publication)."""
    last = (
        ResultsManifest.objects.select_for_update()
        .filter(campaign=campaign)
        .order_by("-version")
        .first()
    )
    version = last.version + 1 if last else 1
    previous = last.sha256 if last else ""
    content = build_content(campaign, version=version, previous=previous, reason=reason)
    return ResultsManifest.objects.create(
        campaign=campaign,
        version=version,
        content=canonical(content),
        sha256=sha256_of(content),
        previous_sha256=previous,
        reason=reason,
        actor=by,
    )


def manifest_data(manifest: ResultsManifest) -> dict:
    return json.loads(manifest.content)


def verify_versions(campaign: Campaign) -> list[str]:
    """Each version's hash matches its content and links to the version before."""
    problems, previous = [], ""
    for manifest in ResultsManifest.objects.filter(campaign=campaign).order_by("version"):
        data = manifest_data(manifest)
        if sha256_of(data) != manifest.sha256:
            problems.append(f"结果清单第 {manifest.version} 版:内容与其 SHA-256 不符")
        if (data.get("previous_sha256") or "") != previous or manifest.previous_sha256 != previous:
            problems.append(f"结果清单第 {manifest.version} 版:与上一版本的哈希不衔接")
        previous = manifest.sha256
    return problems
