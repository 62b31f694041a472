"""Anyone can verify the published tiers: the results manifest frozen on publication,
`verify_results` against the database, and the standalone script against the manifest."""

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from reform_cases.models import Campaign, ResultsManifest
from reform_cases.publication import services as publication_services
from reviews.models import Score
from reviews.ranking import services as ranking_services
from reviews.ranking.recompute import check_manifest
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "verify_manifest.py"


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # seed_demo writes a sample attachment file


@pytest.fixture
def published(admin, published_fixtures, media):
    """A seed_demo campaign (70 cases for 50 places) made non-demo in this database, then locked, put on notice and
    published through the services (demo campaigns themselves are never public)."""
    call_command(
        "seed_demo", "--cases", "70", "--experts", "15", "--reviews-per-case", "5",
        "--seed", "3", "--year", "2031", stdout=io.StringIO(),
    )  # fmt: skip
    Campaign.objects.filter(year=2031).update(is_demo=False)
    campaign = Campaign.objects.get(year=2031)
    review_round = campaign.rounds.get()
    for entry in ranking_services.unresolved(review_round):
        ranking_services.override_tier(
            entry=entry, by=admin, tier=None, reason="边界并列,委员会决定"
        )
    ranking_services.lock_ranking(review_round=review_round, by=admin)
    ranking_services.publish_notice_from_ranking(
        review_round=review_round, by=admin, ends_at=timezone.now() + timedelta(hours=1)
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    publication_services.publish_results(campaign=campaign, by=admin)
    campaign.refresh_from_db()
    return campaign


def verify(year):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_results", str(year), stdout=out, stderr=err)
    return out.getvalue()


def test_publication_freezes_a_manifest_and_verify_results_passes(published):
    manifest = ResultsManifest.objects.get(campaign=published)
    assert manifest.version == 1
    data = json.loads(manifest.content)
    assert len(data["ranking"]["reviews"]) == 350  # 70 cases × 5 reviews
    assert len(data["published"]) == 50  # quotas 10 + 40: twenty cases are not awarded
    assert check_manifest(data, expected_sha256=manifest.sha256) == []
    assert "核验通过" in verify(2031)


def test_one_score_changed_in_the_database_fails_naming_the_case(published):
    case = published.cases.exclude(tier=None).order_by("rank").first()
    score = Score.objects.filter(review__assignment__case=case).first()
    Score.objects.filter(pk=score.pk).update(value=0)

    err = io.StringIO()
    with pytest.raises(CommandError, match="核验失败"):
        call_command("verify_results", "2031", stdout=io.StringIO(), stderr=err)
    assert f"案例“{case.title}”:数据库中的原始评分与结果清单不符" in err.getvalue()


def test_a_correction_appends_a_version_and_verification_still_passes(published, admin):
    case = published.cases.exclude(tier=None).first()
    publication_services.correct_case(
        case=case, by=admin, reason="名称有误", changes={"title": case.title + "(更正)"}
    )
    versions = list(ResultsManifest.objects.filter(campaign=published).order_by("version"))
    assert [m.version for m in versions] == [1, 2]
    assert json.loads(versions[1].content)["previous_sha256"] == versions[0].sha256
    assert "核验通过" in verify(2031)

    html = Client().get("/results/2031/").content.decode()
    assert versions[1].sha256 in html
    assert "v2" in html


def test_the_public_manifest_names_no_expert_and_no_unpublished_case(published):
    r = Client().get("/api/results/2031/manifest.json")
    assert r.status_code == 200
    body = r.content.decode()
    data = json.loads(body)
    assert r["X-Content-SHA256"] == ResultsManifest.objects.get(campaign=published).sha256
    for expert in {s.review.assignment.expert for s in Score.objects.select_related("review__assignment__expert")[:50]}:  # fmt: skip
        assert expert.display_name not in body
        assert expert.username not in body
    for case in published.cases.filter(tier=None):
        assert case.title not in body
    hidden = [c for c in data["ranking"]["cases"] if not c["public"]]
    assert hidden and all(c["id"].startswith("N") for c in hidden)
    assert Client().get("/api/results/2031/manifest.json?version=9").status_code == 404
    assert Client().get("/api/results/2031/manifest.json?version=x").status_code == 404


def test_the_standalone_script_agrees_with_the_command(published, tmp_path):
    manifest = ResultsManifest.objects.get(campaign=published)
    path = tmp_path / "manifest.json"
    path.write_text(manifest.content, encoding="utf-8")

    ok = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), manifest.sha256],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "every tier agrees" in ok.stdout

    # Raise one unpublished review of the last-ranked awarded case to the top score.
    data = json.loads(manifest.content)
    for review in data["ranking"]["reviews"]:
        review["scores"] = dict.fromkeys(review["scores"], "0")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), manifest.sha256],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "SHA-256" in bad.stdout
    assert "案例" in bad.stdout


def test_a_historical_result_has_a_manifest_without_scores(db, admin):
    call_command("setup_site", "--no-demo", stdout=io.StringIO())
    manifest = ResultsManifest.objects.get(campaign__year=2020)
    data = json.loads(manifest.content)
    assert data["ranking"] is None
    assert "未存有原始评分" in data["ranking_note"]
    assert "历史结果" in verify(2020)
    html = Client().get("/results/2020/").content.decode()
    assert manifest.sha256 in html
    assert "本平台未存有该轮的原始评分" in html


def test_a_correction_of_a_case_never_public_does_not_name_it_in_the_manifest(published, admin):
    hidden = published.cases.filter(tier=None).first()
    publication_services.correct_case(
        case=hidden, by=admin, reason="名称有误", changes={"title": "从未公开的新名称"}
    )
    latest = ResultsManifest.objects.filter(campaign=published).order_by("-version").first()
    assert latest.version == 2
    assert "从未公开的新名称" not in latest.content
    assert hidden.title not in latest.content
    assert "核验通过" in verify(2031)
