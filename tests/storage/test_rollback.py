"""A file written in a transaction that rolls back leaves the store with it
(common/transactional_files.py); content is checked before anything is written.

Each case runs on the folder and on the S3 server (tests/storage/conftest.py).
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from reform_cases.campaigns import services as campaign_services
from reform_cases.models import Attachment, AttachmentKind, CampaignFile, Objection
from reform_cases.publication import services as publication_services
from reform_cases.submission import services as submission_services
from tests.factories import PDF, PNG

EXE = b"MZ\x90\x00" + b"\x00" * 200
OBJECTION_TEXT = "该案例申报材料中的成效数据与统计公报不一致,请核实。"


class Boom(Exception):
    """The failure forced after the file is written."""


def fail(*args, **kwargs):
    raise Boom


def add_attachment(draft, people, content=PDF, name="申报书.pdf"):
    return submission_services.add_attachment(
        case=draft,
        by=people["locality"],
        upload=SimpleUploadedFile(name, content),
        kind=str(AttachmentKind.APPLICATION_FORM),
    )


def submit_objection(campaign, content=PNG, name="证据.png"):
    return publication_services.submit_objection(
        campaign=campaign,
        name="王先生",
        contact="13800000000",
        text=OBJECTION_TEXT,
        ip="192.0.2.7",
        upload=SimpleUploadedFile(name, content),
    )


def add_call_file(campaign, people, content=PDF, name="模板.pdf"):
    return campaign_services.add_campaign_file(
        campaign=campaign,
        by=people["admin"],
        title="申报书模板",
        upload=SimpleUploadedFile(name, content),
    )


def test_an_attachment_whose_row_fails_leaves_no_file(store, people, draft, monkeypatch):
    monkeypatch.setattr(Attachment, "save", fail)

    with pytest.raises(Boom):
        add_attachment(draft, people)

    assert store.names() == []


def test_an_objection_whose_notification_fails_leaves_no_file(store, noticed_campaign, monkeypatch):
    monkeypatch.setattr(publication_services, "notify", fail)

    with pytest.raises(Boom):
        submit_objection(noticed_campaign)

    assert store.names() == []
    assert not Objection.objects.exists()


def test_a_call_file_whose_record_fails_leaves_no_file(
    store, people, calling_campaign, monkeypatch
):
    monkeypatch.setattr(campaign_services, "_record", fail)

    with pytest.raises(Boom):
        add_call_file(calling_campaign, people)

    assert store.names() == []
    assert not CampaignFile.objects.exists()


def test_a_file_saved_by_a_service_goes_when_an_outer_transaction_rolls_back(store, people, draft):
    with pytest.raises(Boom), transaction.atomic():
        add_attachment(draft, people)
        assert len(store.names()) == 1  # kept while the outer transaction may still commit
        raise Boom

    assert store.names() == []
    assert not draft.attachments.exists()


def test_a_committed_file_stays(store, people, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add_attachment(draft, people)

    assert store.names() == [attachment.file.name]
    assert store.read(attachment.file.name) == PDF


def test_renamed_executables_never_reach_the_store(store, people, draft, noticed_campaign):
    with pytest.raises(ValidationError):
        add_attachment(draft, people, content=EXE, name="申报书.pdf")
    with pytest.raises(ValidationError):
        submit_objection(noticed_campaign, content=EXE, name="证据.png")
    with pytest.raises(ValidationError):
        # The service checks the content itself, not only the office's form.
        add_call_file(noticed_campaign, people, content=EXE, name="模板.pdf")
    with pytest.raises(ValidationError):
        add_call_file(noticed_campaign, people, content=PNG, name="模板.png")  # not a call type

    assert store.names() == []
