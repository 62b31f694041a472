"""Recompute a published result from the stored raw scores and compare it with what is
published and with the frozen results manifest. Exits 1 naming each difference."""

import json

from django.core.management.base import BaseCommand, CommandError

from audit.chain import canonical
from reform_cases.models import Campaign, ResultsManifest
from reform_cases.publication.manifest import build_content, verify_versions
from reviews.ranking.recompute import check_manifest


class Command(BaseCommand):
    help = (
        "Recompute the tiers of a campaign from its stored raw scores and configuration, "
        "apply the recorded overrides, and compare with the published list and the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the year (e.g. 2020) or, with --id, the campaign id")
        parser.add_argument("--id", action="store_true", help="CAMPAIGN is an id, not a year")

    def handle(self, *args, **options):
        campaign = self._campaign(options["campaign"], by_id=options["id"])
        latest = ResultsManifest.objects.filter(campaign=campaign).order_by("-version").first()
        problems = verify_versions(campaign)
        # The database as it is now, in the manifest's form (same builders, same ids).
        current = json.loads(canonical(build_content(campaign, version=0, previous="", reason="")))
        problems += check_manifest(current)
        if latest is None:
            problems.append("没有结果清单:该评选尚未发布")
        else:
            frozen = json.loads(latest.content)
            problems += check_manifest(frozen, expected_sha256=latest.sha256)
            problems += _compare(frozen, current)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{campaign.year} 年度结果核验失败:{len(problems)} 处不符")
        scored = "ranking" in current and current["ranking"]
        self.stdout.write(
            f"{campaign.year} 年度结果核验通过:结果清单 v{latest.version} {latest.sha256}"
            + ("" if scored else "(历史结果,无原始评分可重算)")
        )

    def _campaign(self, value: str, *, by_id: bool) -> Campaign:
        if not value.isdigit():
            raise CommandError("请给出年度(如 2020)或用 --id 给出评选活动编号")
        lookup = {"pk": int(value)} if by_id else {"year": int(value), "is_demo": False}
        campaign = Campaign.objects.filter(**lookup).first()
        if campaign is None:
            raise CommandError(f"找不到评选活动:{value}")
        return campaign


def _titles(data: dict) -> dict[str, str]:
    return {item["id"]: item["title"] for item in data.get("published", [])}


def _compare(frozen: dict, current: dict) -> list[str]:
    """What the database says now against the latest frozen version, case by case."""
    problems, titles = [], _titles(current) | _titles(frozen)

    def name(case_id):
        return f"“{titles[case_id]}”" if case_id in titles else case_id

    published_now = {i["id"]: (i["tier"], i["outcome"]) for i in current.get("published", [])}
    published_then = {i["id"]: (i["tier"], i["outcome"]) for i in frozen.get("published", [])}
    for case_id in sorted(set(published_now) | set(published_then)):
        if published_now.get(case_id) != published_then.get(case_id):
            problems.append(f"案例{name(case_id)}:公布的结果与结果清单不符")
    ranking_now, ranking_then = current.get("ranking"), frozen.get("ranking")
    if not ranking_now or not ranking_then:
        if bool(ranking_now) != bool(ranking_then):
            problems.append("结果清单与数据库一方有原始评分、一方没有")
        return problems
    for key in ("basis", "tie_break", "criteria"):
        if ranking_now[key] != ranking_then[key]:
            problems.append(f"排名设置“{key}”与结果清单不符")

    def by_case(ranking):
        grouped = {}
        for review in ranking["reviews"]:
            grouped.setdefault(review["case"], []).append(review)
        return grouped

    now, then = by_case(ranking_now), by_case(ranking_then)
    for case_id in sorted(set(now) | set(then)):
        if now.get(case_id) != then.get(case_id):
            problems.append(f"案例{name(case_id)}:数据库中的原始评分与结果清单不符")
    entries_now = {c["id"]: c for c in ranking_now["cases"]}
    for case in ranking_then["cases"]:
        entry = entries_now.get(case["id"])
        if entry is None or entry["final_tier"] != case["final_tier"]:
            problems.append(f"案例{name(case['id'])}:数据库中的最终等次与结果清单不符")
    return problems
