"""The audit chain: every record carries the hash of its content and of the one before, so a
record edited, removed or inserted behind the application's back is named by verify_audit."""

from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from audit import chain
from audit.models import AuditRecord, ChainHead
from reform_cases.models import CaseEvent, CaseEventKind, Objection
from reform_cases.submission import services as submission_services
from reviews.models import Review, Score
from reviews.scoring import services as scoring_services
from tests.factories import UserFactory, make_desk, open_campaign


@pytest.fixture
def locality(db):
    return UserFactory(locality=True)


@pytest.fixture
def drafts(locality):
    """Three drafts, so three chained creation events."""
    campaign = open_campaign()
    return [
        submission_services.create_draft(campaign=campaign, by=locality, data={"title": f"案例{i}"})
        for i in range(3)
    ]


def problems():
    return [str(p) for p in chain.verify()]


def test_each_audited_row_is_chained_when_it_is_written(drafts):
    records = list(AuditRecord.objects.order_by("seq"))
    assert [r.kind for r in records] == ["reform_cases.caseevent.created"] * 3
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == chain.GENESIS
    assert records[1].prev_hash == records[0].hash
    assert ChainHead.objects.get().hash == records[-1].hash
    assert problems() == []
    call_command("verify_audit")  # exits 0


def test_an_event_edited_behind_the_applications_back_is_named(drafts):
    event = CaseEvent.objects.order_by("pk")[1]
    CaseEvent.objects.filter(pk=event.pk).update(note="事后补写")

    found = problems()

    assert found == [f"案例记录 #{event.pk}: 与审计链记录 #2 不符:被改动"]
    with pytest.raises(CommandError, match=f"案例记录 #{event.pk}"):
        call_command("verify_audit")


def test_an_event_deleted_behind_the_applications_back_is_named(drafts):
    event = CaseEvent.objects.order_by("pk")[0]
    CaseEvent.objects.filter(pk=event.pk).delete()
    assert problems() == [f"案例记录 #{event.pk}: 已被删除(审计链记录 #1)"]


def test_an_event_inserted_behind_the_applications_back_is_named(drafts):
    # bulk_create sends no signal: the row reaches the table without the application.
    (forged,) = CaseEvent.objects.bulk_create(
        [CaseEvent(case=drafts[0], kind=CaseEventKind.ACCEPTED, note="伪造受理")]
    )
    assert problems() == [f"案例记录 #{forged.pk}: 不在审计链中:绕过应用写入"]


def test_an_edited_chain_record_breaks_its_hash(drafts):
    AuditRecord.objects.filter(seq=2).update(content='{"note":"改过"}')
    found = problems()
    assert found[0] == "审计链记录 #2: 内容被改动(哈希不符)"


def test_a_chain_record_removed_from_the_middle_is_named(drafts):
    AuditRecord.objects.filter(seq=2).delete()
    found = problems()
    assert found[0] == "审计链记录 #2: 被删除(编号不连续)"


def test_the_last_chain_record_removed_is_seen_at_the_head(drafts):
    AuditRecord.objects.filter(seq=3).delete()
    assert "审计链记录 #3: 链末端与最后一条记录不符:末尾的记录被删除或插入" in problems()


def test_a_record_inserted_into_the_chain_is_named(drafts):
    # Make room at #2 (renumbering from the end keeps the numbers unique), then slip in a
    # forged record whose own hash is right and which links to #1.
    for record in AuditRecord.objects.filter(seq__gte=2).order_by("-seq"):
        AuditRecord.objects.filter(pk=record.pk).update(seq=record.seq + 1)
    first = AuditRecord.objects.get(seq=1)
    forged = AuditRecord(
        seq=2, recorded_at=first.recorded_at, kind="reform_cases.caseevent.created",
        object_type="reform_cases.caseevent", object_id="999", content="{}",
        prev_hash=first.hash,
    )  # fmt: skip
    forged.hash = chain.record_hash(forged)
    forged.save()

    found = problems()

    # The record after the forged one no longer links to its predecessor.
    assert found[0] == "审计链记录 #3: 前一条记录的哈希不符:其前有记录被删除、插入或改动"


def test_a_submitted_score_changed_in_the_database_is_named(db):
    desk = make_desk()
    review = scoring_services.save_review(
        assignment=desk.assignment,
        by=desk.expert,
        scores={c.pk: "10" for c in desk.criteria},
        comments={},
        overall_comment="做法扎实",
        submit=True,
    )
    assert problems() == []

    score = Score.objects.filter(review=review).first()
    Score.objects.filter(pk=score.pk).update(value=score.value - 1)

    found = problems()
    assert len(found) == 1
    assert found[0].startswith(f"{Review._meta.verbose_name} #{review.pk}: 与审计链记录 #")


def test_erasing_an_objectors_contact_details_keeps_the_chain_intact(db):
    from datetime import timedelta

    from django.utils import timezone

    from reform_cases.publication import services as publication_services
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(
        status="notice", published_at=None, notice_ends_at=timezone.now() + timedelta(days=3)
    )
    objection = publication_services.submit_objection(
        campaign=campaign,
        name="张三",
        contact="13800000000",
        text="第 3 名的数据有误",
        ip="10.0.0.1",
    )
    Objection.objects.filter(pk=objection.pk).update(name="", contact="", ip_address=None)
    assert problems() == []


def test_seal_chains_what_was_written_before_the_chain_existed(drafts):
    CaseEvent.objects.bulk_create([CaseEvent(case=drafts[0], kind=CaseEventKind.IMPORTED)])
    assert len(problems()) == 1
    call_command("seal_audit")
    assert problems() == []
    call_command("seal_audit")  # a second run chains nothing
    assert AuditRecord.objects.count() == 4


def test_erasing_objector_data_is_itself_chained_and_keeps_the_chain_intact(db, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from reform_cases.publication import services as publication_services
    from tests.factories import CampaignFactory

    settings.MEDIA_ROOT = tmp_path
    admin = UserFactory(administrator=True)
    campaign = CampaignFactory(
        status="notice", published_at=None, notice_ends_at=timezone.now() + timedelta(days=3)
    )
    objection = publication_services.submit_objection(
        campaign=campaign, name="李四", contact="13900000000", text="数据有误", ip="10.0.0.2"
    )
    publication_services.answer_objection(
        objection=objection, by=admin, decision="dismissed", answer="经核实,数据无误。"
    )
    # A year and more later (the command's clock only: rows are not touched behind its back).
    later = timezone.now() + timedelta(days=400)
    with mock.patch(
        "reform_cases.management.commands.erase_objector_data.timezone.now", return_value=later
    ):
        call_command("erase_objector_data", "--days", "365")

    objection.refresh_from_db()
    assert (objection.name, objection.contact, objection.ip_address) == ("", "", None)
    assert objection.text == "数据有误" and objection.answer == "经核实,数据无误。"
    erased = AuditRecord.objects.get(kind="reform_cases.objection.objector_data_erased")
    assert '"erased":["name","contact","ip_address"]' in erased.content
    assert "李四" not in "".join(AuditRecord.objects.values_list("content", flat=True))
    assert problems() == []
