"""What reform_cases holds about a person (accounts/personal_data.py), registered at start-up:
the cases where they are the contact, the objections they filed (matched by the contact
they gave: an e-mail address equal to theirs, or a text holding their phone number) and
their downloads of case files, with the address."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import Person, digits_only, register
from reform_cases.models import ApplicationFormDownload, AttachmentDownload, Case, Objection


def case_contacts(person: Person) -> list[dict]:
    if not person.phones:
        return []
    cases = (
        Case.objects.alias(digits=digits_only("contact_phone"))
        .filter(digits__in=person.phones)
        .select_related("campaign", "organisation")
        .order_by("pk")
    )
    return [
        {
            "case": case.pk,
            "campaign": case.campaign.year,
            "title": case.title,
            "organisation": case.organisation.name if case.organisation_id else None,
            "contact_name": case.contact_name,
            "contact_phone": case.contact_phone,
            "status": case.status,
            "outcome": case.outcome,
        }
        for case in cases
    ]


def objections(person: Person) -> list[dict]:
    matches = Q(pk__in=[])
    for email in person.emails:
        matches |= Q(contact__iexact=email)
    for phone in person.phones:
        matches |= Q(contact_digits__contains=phone)
    found = (
        Objection.objects.alias(contact_digits=digits_only("contact"))
        .filter(matches)
        .select_related("campaign", "case")
        .order_by("pk")
    )
    return [
        {
            "objection": objection.pk,
            "campaign": objection.campaign.year,
            "case": objection.case.title if objection.case_id else None,
            "name": objection.name,
            "contact": objection.contact,
            "ip_address": objection.ip_address,
            "file_name": objection.file_name,
            "text": objection.text,
            "created_at": objection.created_at,
            "status": objection.status,
            "answer": objection.answer,
            "answered_at": objection.answered_at,
        }
        for objection in found
    ]


def downloads(person: Person) -> list[dict]:
    found = (
        AttachmentDownload.objects.filter(user__in=person.account_ids)
        .select_related("attachment")
        .order_by("at", "pk")
    )
    return [
        {
            "file": download.attachment.original_name,
            "case": download.attachment.case_id,
            "at": download.at,
            "ip_address": download.ip_address,
            "watermark_code": download.watermark_code,
        }
        for download in found
    ]


def form_downloads(person: Person) -> list[dict]:
    """The expert's watermarked copies of 申报书 (reviews/documents)."""
    found = ApplicationFormDownload.objects.filter(user__in=person.account_ids).order_by("at", "pk")
    return [
        {
            "case": download.case_id,
            "at": download.at,
            "ip_address": download.ip_address,
            "blind": download.blind,
            "watermark_code": download.watermark_code,
        }
        for download in found
    ]


def register_all() -> None:
    register("case_contacts", case_contacts, _("作为联系人的案例"))
    register("objections", objections, _("提出的异议"))
    register("attachment_downloads", downloads, _("附件下载记录"))
    register("application_form_downloads", form_downloads, _("申报书下载记录"))
