"""Personal data erased once the retention period after publication is over
(reform_cases/publication/retention.py, the erase_objector_data command and the daily task)."""

from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit import chain
from audit.models import AuditRecord
from reform_cases.models import (
    Attachment,
    AttachmentDownload,
    AttachmentKind,
    Campaign,
    CampaignStatus,
    CaseOutcome,
    CaseStatus,
)
from reform_cases.publication import services as publication_services
from reform_cases.publication.retention import (
    CASE_CONTACTS_ERASED,
    DOWNLOAD_ADDRESSES_ERASED,
    erase_expired_personal_data,
    retention_cutoff,
)
from reform_cases.tasks import erase_expired_personal_data_task
from tests.factories import CampaignFactory, CaseFactory, UserFactory
from tests.helpers import run_together

PHONE = "13800138000"


def _campaign_published(days_ago, reader, office):
    """A campaign with an objection answered during its notice, published `days_ago`."""
    now = timezone.now()
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE, published_at=None, notice_ends_at=now + timedelta(days=3)
    )
    contact = {"contact_name": "张三", "contact_phone": PHONE}
    awarded = CaseFactory(campaign=campaign, **contact)
    not_awarded = CaseFactory(campaign=campaign, outcome=CaseOutcome.NOT_AWARDED, **contact)
    withdrawn = CaseFactory(
        campaign=campaign, status=CaseStatus.WITHDRAWN, outcome=CaseOutcome.PENDING, **contact
    )
    objection = publication_services.submit_objection(
        campaign=campaign,
        case=awarded,
        name="李四",
        contact="lisi@example.org",
        text="数据有误",
        ip="10.0.0.2",
    )
    publication_services.answer_objection(
        objection=objection, by=office, decision="dismissed", answer="经核实,数据无误。"
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.PUBLISHED, published_at=now - timedelta(days=days_ago)
    )
    attachment = Attachment.objects.create(
        case=not_awarded,
        kind=AttachmentKind.APPLICATION_FORM,
        file="attachments/x/申报书.pdf",
        original_name="申报书.pdf",
        content_type="application/pdf",
        size=10,
    )
    download = AttachmentDownload.objects.create(
        attachment=attachment, user=reader, ip_address="10.0.0.9"
    )
    return awarded, not_awarded, withdrawn, objection, download


def _login_record(days_ago, username):
    record = AccessLog.objects.create(
        username=username, ip_address="10.0.0.7", user_agent="test", http_accept="*/*"
    )
    AccessLog.objects.filter(pk=record.pk).update(
        attempt_time=timezone.now() - timedelta(days=days_ago)
    )
    return record


@pytest.fixture
def world(db, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    reader = UserFactory(expert=True)
    office = UserFactory(administrator=True)
    return {
        "old": _campaign_published(366, reader, office),
        "recent": _campaign_published(10, reader, office),
        "old_login": _login_record(366, reader.username),
        "recent_login": _login_record(10, reader.username),
        "reader": reader,
    }


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_after_the_period_objectors_contacts_of_cases_without_award_and_addresses_go(world):
    awarded, not_awarded, withdrawn, objection, download = world["old"]

    call_command("erase_objector_data")

    for case in (not_awarded, withdrawn):
        assert (_fresh(case).contact_name, _fresh(case).contact_phone) == ("", "")
    assert (_fresh(awarded).contact_name, _fresh(awarded).contact_phone) == ("张三", PHONE)
    objection = _fresh(objection)
    assert (objection.name, objection.contact, objection.ip_address) == ("", "", None)
    assert objection.text == "数据有误" and objection.answer == "经核实,数据无误。"
    download = _fresh(download)
    assert download.ip_address is None
    assert download.user == world["reader"] and download.at is not None  # who and when stay
    assert not AccessLog.objects.filter(pk=world["old_login"].pk).exists()


def test_a_campaign_published_ten_days_ago_keeps_everything(world):
    awarded, not_awarded, withdrawn, objection, download = world["recent"]

    call_command("erase_objector_data")

    for case in (awarded, not_awarded, withdrawn):
        assert (_fresh(case).contact_name, _fresh(case).contact_phone) == ("张三", PHONE)
    assert _fresh(objection).contact == "lisi@example.org"
    assert _fresh(objection).ip_address == "10.0.0.2"
    assert _fresh(download).ip_address == "10.0.0.9"
    assert AccessLog.objects.filter(pk=world["recent_login"].pk).exists()


def test_what_was_erased_is_chained_without_the_values(world):
    _awarded, not_awarded, withdrawn, objection, _download = world["old"]

    call_command("erase_objector_data")

    cases = AuditRecord.objects.get(kind=CASE_CONTACTS_ERASED)
    assert cases.object_id == str(not_awarded.campaign_id)
    assert f'"cases":[{not_awarded.pk},{withdrawn.pk}]' in cases.content
    assert '"by":null' in cases.content
    assert AuditRecord.objects.get(kind=DOWNLOAD_ADDRESSES_ERASED).content.startswith(
        '{"by":null,"download_addresses":1}'
    )
    assert AuditRecord.objects.filter(
        kind="reform_cases.objection.objector_data_erased", object_id=str(objection.pk)
    ).exists()
    everything = "".join(AuditRecord.objects.values_list("content", flat=True))
    for value in (PHONE, "张三", "李四", "lisi@example.org", "10.0.0.2", "10.0.0.9"):
        assert value not in everything
    assert chain.verify() == []


def test_a_second_run_erases_and_records_nothing(world):
    call_command("erase_objector_data")
    records = AuditRecord.objects.count()

    # The daily task is the same run with the setting's period.
    assert erase_expired_personal_data_task.delay().get() == 0
    call_command("erase_objector_data", "--days", "365")

    assert AuditRecord.objects.count() == records


def test_days_option_shortens_the_period(world, capsys):
    call_command("erase_objector_data", "--days", "5")

    _awarded, not_awarded, _withdrawn, objection, _download = world["recent"]
    assert _fresh(not_awarded).contact_phone == ""
    assert _fresh(objection).contact == ""
    assert "已清除 2 条异议的提出人信息、4 个案例的联系人" in capsys.readouterr().out


def test_the_command_explains_itself(capsys):
    with pytest.raises(SystemExit) as exit:
        call_command("erase_objector_data", "--help")
    assert exit.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--days" in help_text and "PERSONAL_DATA_RETENTION_DAYS" in help_text


def test_the_daily_task_is_scheduled():
    entry = django_settings.CELERY_BEAT_SCHEDULE["erase-expired-personal-data"]
    assert entry["task"] == erase_expired_personal_data_task.name
    assert entry["schedule"] == 24 * 3600


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_erase_and_record_each_thing_once(world):
    def run():
        return erase_expired_personal_data(cutoff=retention_cutoff(365))

    reports = run_together(run, run)

    assert sum(r.cases for r in reports) == 2 and sum(r.objections for r in reports) == 1
    assert AuditRecord.objects.filter(kind=CASE_CONTACTS_ERASED).count() == 1
    assert AuditRecord.objects.filter(kind=DOWNLOAD_ADDRESSES_ERASED).count() == 1
    assert (
        AuditRecord.objects.filter(kind="reform_cases.objection.objector_data_erased").count() == 1
    )
    assert chain.verify() == []
