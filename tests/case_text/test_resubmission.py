"""Repeated-submission detection (重复申报, issue 18): MinHash/LSH over character shingles."""

import io
import random

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from case_text.models import CaseSignature, ResemblancePair, ResemblanceVerdict, SignatureBand
from case_text.resubmission import services, signatures
from case_text.resubmission.passages import shared_passages
from case_text.resubmission.text import jaccard, normalise, sections_of, sentences, shingles
from reform_cases.models import CASE_SECTIONS, Campaign, Case, CaseOutcome, CaseStatus
from reform_cases.submission import services as submission_services
from site_setup.case_writer import retitle, rewrite, title_for, write_case
from site_setup.planted_resubmissions import truth_from_records
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    CountyFactory,
    TierFactory,
    UserFactory,
    open_campaign,
    submitted_case,
)

TOPIC = "最多跑一次"


def texts(seed, unit="临安区"):
    """A case on TOPIC and its rewriting for the next year (30% of sentences edited or moved)."""
    rng = random.Random(seed)
    original = write_case(rng, TOPIC, unit)
    return original, rewrite(rng, original, TOPIC, unit), title_for(rng, TOPIC, unit)


@pytest.fixture
def scene(db):
    """Last year's awarded case, this year's open campaign, a locality and an administrator."""
    original, rewritten, title = texts(1)
    last_year = CampaignFactory(year=2301)
    earlier = CaseFactory(
        campaign=last_year,
        title=title,
        tier=TierFactory(campaign=last_year, name="最佳实践案例"),
        **original,
    )
    services.detect_resubmission(case_id=earlier.pk)  # as when it was submitted last year
    county = CountyFactory()
    return {
        "earlier": earlier,
        "rewritten": rewritten,
        "campaign": open_campaign(year=2302),
        "county": county,
        "locality": UserFactory(locality=True, organisation=county),
        "admin": UserFactory(administrator=True),
    }


def submit(scene, sections, capture, title=None):
    rng = random.Random(len(sections["measures"]))
    with capture(execute=True):
        return submitted_case(
            scene["campaign"],
            scene["county"],
            scene["locality"],
            title=title or retitle(rng, scene["earlier"].title, TOPIC, "临安区"),
            **sections,
        )


# The pure parts --------------------------------------------------------------------------------


def test_normalise_folds_width_case_digits_and_drops_punctuation():
    assert normalise("2023年办件量增长35%,“一件事” ABC") == "0年办件量增长0一件事abc"


def test_sentences_keep_their_spans_in_the_section():
    sections = dict.fromkeys(CASE_SECTIONS, "")
    sections["measures"] = "一是统一受理入口。 二是闭环督办;\n三是考核"
    found = sentences(sections)
    assert [sections["measures"][s.start : s.end] for s in found] == [
        "一是统一受理入口。",
        "二是闭环督办;",
        "三是考核",
    ]


def test_signature_estimates_the_jaccard_similarity():
    original, rewritten, _title = texts(2)
    a, b = shingles(original), shingles(rewritten)
    estimate = signatures.estimated_jaccard(
        signatures.signature(a), signatures.signature(b)[None, :]
    )
    assert abs(estimate[0] - jaccard(a, b)) < 0.15  # three standard errors at 128 minima
    # Stored and read back unchanged; equal sets give equal band keys.
    sig = signatures.signature(a)
    assert np.array_equal(signatures.from_bytes(signatures.to_bytes(sig)), sig)
    assert signatures.band_keys(sig) == signatures.band_keys(signatures.signature(set(a)))
    assert len(set(signatures.band_keys(sig))) == signatures.BANDS


def test_shared_passages_pair_nearly_equal_sentences_only():
    mine = dict.fromkeys(CASE_SECTIONS, "")
    theirs = dict.fromkeys(CASE_SECTIONS, "")
    mine["results"] = "改革以来,企业开办的办理时限缩短了35%。群众满意度很高。"
    theirs["measures"] = "另起一句完全无关的话。改革以来,企业开办的办理时限缩短28%。"
    passages = shared_passages(mine, theirs)
    assert len(passages) == 1
    section, start, end = passages[0]["case"]
    assert mine[section][start:end] == "改革以来,企业开办的办理时限缩短了35%。"
    section, start, end = passages[0]["earlier"]
    assert theirs[section][start:end] == "改革以来,企业开办的办理时限缩短28%。"


# Detection through the submission -----------------------------------------------------------


def test_rewritten_case_of_last_year_is_flagged_with_its_predecessor_after_submission(
    scene, django_capture_on_commit_callbacks
):
    case = submit(scene, scene["rewritten"], django_capture_on_commit_callbacks)

    pair = ResemblancePair.objects.get()
    assert (pair.case, pair.earlier_case) == (case, scene["earlier"])
    assert pair.similarity >= services.THRESHOLD
    assert len(pair.passages) >= 10  # most sentences are shared
    assert CaseSignature.objects.get(case=case).detected_at is not None
    assert SignatureBand.objects.filter(signature_id=case.pk).count() == signatures.BANDS


def test_detection_waits_for_the_commit(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = submitted_case(
            scene["campaign"], scene["county"], scene["locality"], **scene["rewritten"]
        )
    assert not ResemblancePair.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    assert ResemblancePair.objects.filter(case=case).count() == 1


def test_unrelated_case_on_the_same_topic_is_not_flagged(scene, django_capture_on_commit_callbacks):
    unrelated = write_case(random.Random(99), TOPIC, "余杭区")
    assert jaccard(shingles(unrelated), shingles(sections_of(scene["earlier"]))) > 0.1  # same topic

    case = submit(scene, unrelated, django_capture_on_commit_callbacks)

    assert CaseSignature.objects.get(case=case).detected_at is not None  # compared, not skipped
    assert not ResemblancePair.objects.exists()


def test_returned_case_submitted_again_is_not_flagged_against_itself(
    scene, django_capture_on_commit_callbacks
):
    unrelated = write_case(random.Random(7), "养老服务", "临安区")
    case = submit(scene, unrelated, django_capture_on_commit_callbacks)
    first_hash = CaseSignature.objects.get(case=case).content_hash
    submission_services.return_case(case=case, by=scene["admin"], reason="请补充成效数据。")
    revised = rewrite(random.Random(8), unrelated, "养老服务", "临安区", share=0.2)
    Case.objects.filter(pk=case.pk).update(**revised)

    with django_capture_on_commit_callbacks(execute=True):
        submission_services.submit_case(case=Case.objects.get(pk=case.pk), by=scene["locality"])

    assert CaseSignature.objects.get(case=case).content_hash != first_hash  # compared again
    assert not ResemblancePair.objects.exists()


def test_running_twice_changes_nothing(scene, django_capture_on_commit_callbacks):
    case = submit(scene, scene["rewritten"], django_capture_on_commit_callbacks)
    pair = ResemblancePair.objects.get()
    services.record_verdict(pair=pair, by=scene["admin"], verdict=ResemblanceVerdict.REPEAT)

    again = services.detect_resubmission(case_id=case.pk)
    forced = services.detect_resubmission(case_id=case.pk, force=True)

    assert not again.compared and forced.compared and forced.pairs == 1
    pair.refresh_from_db()
    assert pair.verdict == ResemblanceVerdict.REPEAT  # the office's word survives a new run


def test_a_case_of_the_same_year_is_compared_and_the_later_one_is_the_case(
    scene, django_capture_on_commit_callbacks
):
    original, _rewritten, _title = texts(1)
    first = submit(scene, original, django_capture_on_commit_callbacks, title="先提交的案例")
    Case.objects.filter(pk=scene["earlier"].pk).update(status=CaseStatus.DRAFT)  # out of the way
    ResemblancePair.objects.all().delete()
    second = submit(scene, scene["rewritten"], django_capture_on_commit_callbacks, title="后提交")

    pair = ResemblancePair.objects.get()
    assert (pair.case, pair.earlier_case) == (second, first)


def test_a_demo_case_is_never_paired_with_a_real_one(scene, django_capture_on_commit_callbacks):
    Campaign.objects.filter(pk=scene["earlier"].campaign_id).update(is_demo=True)
    submit(scene, scene["rewritten"], django_capture_on_commit_callbacks)
    assert not ResemblancePair.objects.exists()


# The office's pages ----------------------------------------------------------------------------


@pytest.fixture
def pair(scene, django_capture_on_commit_callbacks):
    submit(scene, scene["rewritten"], django_capture_on_commit_callbacks)
    return ResemblancePair.objects.get()


def test_formal_check_page_lists_the_earlier_case_with_year_organisation_and_outcome(
    client, scene, pair
):
    client.force_login(scene["admin"])
    html = client.get(f"/manage/cases/{pair.case_id}/").content.decode()
    assert 'id="resemblances"' in html
    earlier = scene["earlier"]
    for shown in (
        earlier.title,
        str(earlier.campaign.year),
        earlier.organisation.name,
        "最佳实践案例",
    ):
        assert shown in html
    assert f"/manage/resemblances/{pair.pk}/" in html


def test_formal_check_page_queries_do_not_grow_with_the_pairs(client, scene, pair):
    client.force_login(scene["admin"])
    url = f"/manage/cases/{pair.case_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(4):
        other = CaseFactory(campaign=scene["earlier"].campaign, outcome=CaseOutcome.NOT_AWARDED)
        ResemblancePair.objects.create(
            case=pair.case, earlier_case=other, similarity=0.6 + i / 100, case_hash="",
            earlier_hash="", detected_at=pair.detected_at,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as five:
        html = client.get(url).content.decode()
    assert html.count("/manage/resemblances/") == 5
    assert len(five) == len(one)


def test_the_locality_is_never_told(client, scene, pair):
    client.force_login(scene["locality"])
    assert client.get(f"/manage/resemblances/{pair.pk}/").status_code == 403
    html = client.get(f"/cases/mine/{pair.case_id}/").content.decode()
    assert scene["earlier"].title not in html
    assert "相似" not in html


def test_side_by_side_page_marks_shared_passages_and_escapes_both_texts(client, scene):
    hostile = "<script>alert('案例')</script>统一受理入口实行清单化管理和闭环督办。"
    Case.objects.filter(pk=scene["earlier"].pk).update(measures=scene["earlier"].measures + hostile)
    rewritten = dict(scene["rewritten"], measures=scene["rewritten"]["measures"] + hostile)
    submitted_with_capture = submitted_case(
        scene["campaign"], scene["county"], scene["locality"], title="新标题", **rewritten
    )
    services.detect_resubmission(case_id=submitted_with_capture.pk)
    pair = ResemblancePair.objects.get()
    client.force_login(scene["admin"])

    html = client.get(f"/manage/resemblances/{pair.pk}/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;案例&#x27;)&lt;/script&gt;" in html
    assert html.count("<mark") >= 2 * 10  # both sides
    assert "新标题" in html and scene["earlier"].title in html


def test_side_by_side_page_marks_nothing_once_a_text_has_changed(client, scene, pair):
    Case.objects.filter(pk=pair.earlier_case_id).update(summary="另一段话。")
    client.force_login(scene["admin"])
    html = client.get(f"/manage/resemblances/{pair.pk}/").content.decode()
    assert "<mark" not in html
    assert "比对之后案例文本已有改动" in html


def test_office_records_that_a_pair_is_not_a_repeat_with_a_reason(client, scene, pair):
    client.force_login(scene["admin"])
    url = f"/manage/resemblances/{pair.pk}/verdict/"

    refused = client.post(url, {"verdict": ResemblanceVerdict.NOT_REPEAT, "note": "  "})
    assert refused.status_code == 200
    assert "请说明为什么不是重复申报" in refused.content.decode()
    bad = client.post(url, {"verdict": "nonsense", "note": "已核实的说明"})
    assert "已核实的说明" in bad.content.decode()  # what was typed is kept
    pair.refresh_from_db()
    assert pair.verdict == ResemblanceVerdict.PENDING

    done = client.post(
        url, {"verdict": ResemblanceVerdict.NOT_REPEAT, "note": "同一改革的不同阶段,内容不同。"}
    )
    assert done.status_code == 302
    pair.refresh_from_db()
    assert pair.verdict == ResemblanceVerdict.NOT_REPEAT
    assert pair.decided_by == scene["admin"]


def test_missing_or_absurd_pair_ids_are_404(client, scene):
    client.force_login(scene["admin"])
    assert client.get("/manage/resemblances/999999/").status_code == 404
    assert client.get(f"/manage/resemblances/{2**70}/").status_code == 404
    assert client.post(f"/manage/resemblances/{2**70}/verdict/").status_code == 404


# The planted set and the archive command ------------------------------------------------------


def test_seed_demo_plants_repeated_submissions_that_are_all_found(published_fixtures):
    call_command(
        "seed_demo",
        "--cases",
        "0",
        "--plant-resubmissions",
        "6",
        "--seed",
        "3",
        stdout=io.StringIO(),
    )

    later = Campaign.objects.filter(is_demo=True).latest("year")
    truth = truth_from_records(later)
    assert len(truth) == 6
    found = set(
        ResemblancePair.objects.filter(case__campaign=later).values_list(
            "case_id", "earlier_case_id"
        )
    )
    assert found == set(truth.items())  # each rewrite with its original, nothing else
    rewrite_titles = Case.objects.filter(pk__in=truth).values_list("title", flat=True)
    original_titles = Case.objects.filter(pk__in=truth.values()).values_list("title", flat=True)
    assert not set(rewrite_titles) & set(original_titles)  # the titles were changed


def test_detect_resubmissions_command_indexes_the_archive_and_compares_once(scene):
    _original, rewritten, _title = texts(1)
    CaseFactory(
        campaign=scene["campaign"],
        status=CaseStatus.SUBMITTED,
        outcome=CaseOutcome.PENDING,
        title="未比对的",
        **rewritten,
    )
    out = io.StringIO()

    call_command("detect_resubmissions", stdout=out)
    call_command("detect_resubmissions", stdout=out)

    assert ResemblancePair.objects.count() == 1
    assert "比对 1 个案例" in out.getvalue() and "比对 0 个案例" in out.getvalue()
