"""The records of cases and campaigns (events, corrections, status changes, objections)
cannot be erased: not through the Django admin, and not by deleting what they belong to."""

import pytest
from django.db.models import ProtectedError

from reform_cases.models import (
    CampaignStatus,
    CampaignStatusChange,
    CaseEvent,
    CaseEventKind,
    Correction,
    Objection,
    ObjectionStatus,
)
from tests.factories import CampaignFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def case_event(case, by):
    return CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.ACCEPTED, note="受理")


def correction(case, by):
    return Correction.objects.create(
        campaign=case.campaign,
        case=case,
        field_name="title",
        old_value=case.title,
        new_value=f"{case.title}(更正)",
        reason="申报单位来函更正名称。",
        actor=by,
    )


def status_change(case, by):
    return CampaignStatusChange.objects.create(
        campaign=case.campaign,
        from_status=CampaignStatus.NOTICE,
        to_status=CampaignStatus.PUBLISHED,
        actor=by,
        note="公示期满。",
    )


def objection(case, by):
    return Objection.objects.create(
        campaign=case.campaign,
        case=case,
        name="张三",
        contact="13800000000",
        text="数据与实际不符。",
        status=ObjectionStatus.DISMISSED,
        answer="经核实,数据无误。",
        answered_by=by,
    )


RECORDS = {
    "case event": (case_event, "caseevent"),
    "correction": (correction, "correction"),
    "campaign status change": (status_change, "campaignstatuschange"),
    "objection": (objection, "objection"),
}


@pytest.fixture(params=list(RECORDS))
def record(request, superuser_client):
    build, url_name = RECORDS[request.param]
    row = build(CaseFactory(), UserFactory(administrator=True))
    row.admin_url = f"/admin/reform_cases/{url_name}/"
    return row


def offered_actions(response):
    form = response.context["action_form"]
    return {value for value, _label in form.fields["action"].choices} if form else set()


# --- the Django admin ---------------------------------------------------------------------


def test_the_admin_refuses_to_show_the_delete_page_of_a_record(superuser_client, record):
    assert superuser_client.get(f"{record.admin_url}{record.pk}/delete/").status_code == 403


def test_the_admin_refuses_to_delete_a_record_when_the_delete_page_is_posted(
    superuser_client, record
):
    r = superuser_client.post(f"{record.admin_url}{record.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_admin_list_of_records_offers_no_delete_action(superuser_client, record):
    r = superuser_client.get(record.admin_url)
    assert r.status_code == 200
    assert r.context["cl"].result_count == 1  # listed, read-only
    assert "delete_selected" not in offered_actions(r)


def test_posting_the_delete_action_to_the_list_of_records_deletes_nothing(superuser_client, record):
    superuser_client.post(
        record.admin_url, {"action": "delete_selected", "_selected_action": [record.pk]}
    )
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_admin_cannot_add_or_change_a_record(superuser_client, record):
    assert superuser_client.get(f"{record.admin_url}add/").status_code == 403
    r = superuser_client.get(f"{record.admin_url}{record.pk}/change/")
    assert r.status_code == 200  # view only
    assert not r.context["has_change_permission"]
    assert not r.context["has_delete_permission"]


def test_deleting_a_case_with_events_in_the_admin_lists_them_and_deletes_nothing(
    superuser_client,
):
    case = CaseFactory()
    case_event(case, UserFactory(administrator=True))
    url = f"/admin/reform_cases/case/{case.pk}/delete/"

    r = superuser_client.get(url)

    assert r.status_code == 200  # Django's "cannot delete" page, not a server error
    assert r.context["protected"]
    superuser_client.post(url, {"post": "yes"})
    assert type(case).objects.filter(pk=case.pk).exists()


def test_a_case_event_on_the_case_page_has_no_delete_box(superuser_client):
    case = CaseFactory()
    case_event(case, UserFactory(administrator=True))

    r = superuser_client.get(f"/admin/reform_cases/case/{case.pk}/change/")

    assert r.status_code == 200
    assert "events-0-DELETE" not in r.content.decode()
    assert "受理" in r.content.decode()


# --- the database -------------------------------------------------------------------------


@pytest.mark.parametrize("build", [case_event, correction, objection], ids=lambda f: f.__name__)
def test_a_case_with_a_record_cannot_be_deleted(build):
    case = CaseFactory()
    row = build(case, UserFactory(administrator=True))

    with pytest.raises(ProtectedError):
        case.delete()

    assert type(row).objects.filter(pk=row.pk, case=case).exists()


def test_a_campaign_with_status_changes_cannot_be_deleted():
    campaign = CampaignFactory()
    change = CampaignStatusChange.objects.create(
        campaign=campaign, from_status=CampaignStatus.DRAFT, to_status=CampaignStatus.OPEN
    )

    with pytest.raises(ProtectedError):
        campaign.delete()

    assert CampaignStatusChange.objects.filter(pk=change.pk).exists()


def test_a_campaign_with_an_objection_about_no_case_cannot_be_deleted():
    campaign = CampaignFactory()
    Objection.objects.create(campaign=campaign, name="李四", contact="li@example.invalid", text="…")

    with pytest.raises(ProtectedError):
        campaign.delete()


@pytest.mark.parametrize("build", list(RECORDS.values()), ids=list(RECORDS))
def test_a_user_who_acted_on_a_record_cannot_be_deleted(build):
    actor = UserFactory(administrator=True)
    row = build[0](CaseFactory(), actor)

    with pytest.raises(ProtectedError):
        actor.delete()

    row.refresh_from_db()
    assert actor.pk in {getattr(row, "actor_id", None), getattr(row, "answered_by_id", None)}
