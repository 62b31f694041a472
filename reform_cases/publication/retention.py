"""Personal data kept no longer than the retention period (`PERSONAL_DATA_RETENTION_DAYS`).

Once a campaign's results have been published for longer than the period (and, as before,
for every objection answered longer ago than the period):

* objectors' name, contact, address and file are erased (`services.erase_objector_data`,
  one chained record per objection);
* the contact person and phone of the campaign's cases *without* an award or selection are
  cleared. Awarded and selected cases keep theirs: the office still writes to them about
  certificates, publicity and later follow-up, which the privacy page says. The name goes
  with the phone because without the phone it serves nothing and is still personal data;
* the addresses in the download log of the campaign's files are removed (who and when stay:
  that is the record of who read an unpublished case);
* log-in records older than the period are deleted (`accounts.retention`).

What was removed is chained (audit/chain.py) without the removed values: per campaign and
chunk, the ids of the cleared cases and the number of download addresses; the run is by the
system (`by: null`).

Runs are idempotent: every query selects only rows that still hold data, so a second run
erases nothing and chains nothing. Two runs at once (two beats, a beat and the command) are
safe through row locks: each chunk locks its rows (`select_for_update`) and reselects those
that still hold data, and `erase_objector_data` locks the objection and checks it too, so
the second run waits, then finds nothing left and records nothing. Rows are read by id in
chunks (`CHUNK`), so memory stays bounded whatever the number of campaigns and cases.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.retention import erase_old_login_records
from audit import chain
from reform_cases.models import (
    PUBLIC_OUTCOMES,
    ApplicationFormDownload,
    AttachmentDownload,
    Campaign,
    CampaignStatus,
    Case,
    Objection,
    ObjectionStatus,
)
from reform_cases.publication.services import erase_objector_data

CHUNK = 500
CASE_CONTACTS_ERASED = "reform_cases.case.contacts_erased"
DOWNLOAD_ADDRESSES_ERASED = "reform_cases.campaign.download_addresses_erased"
CASE_CONTACT_FIELDS = ("contact_name", "contact_phone")

HOLDS_OBJECTOR_DATA = (
    ~Q(name="") | ~Q(contact="") | Q(ip_address__isnull=False) | ~Q(file="") | ~Q(file_name="")
)
HOLDS_CONTACT = ~Q(contact_name="") | ~Q(contact_phone="")


@dataclass
class RetentionReport:
    objections: int = 0
    cases: int = 0
    download_addresses: int = 0
    login_records: int = 0

    @property
    def total(self) -> int:
        return self.objections + self.cases + self.download_addresses + self.login_records


def retention_cutoff(days: int | None = None, *, now: datetime | None = None) -> datetime:
    days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - timedelta(days=days)


def expired_campaigns(cutoff: datetime):
    """Campaigns whose results were published before `cutoff` (imported ones by their date)."""
    return Campaign.objects.filter(status=CampaignStatus.PUBLISHED).filter(
        Q(published_at__lt=cutoff)
        | Q(published_at__isnull=True, announced_on__lt=timezone.localdate(cutoff))
    )


def _by_id_in_chunks(queryset):
    """Ids of `queryset`, CHUNK at a time, in id order (never the whole list in memory)."""
    last = 0
    while ids := list(
        queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
    ):
        yield ids
        last = ids[-1]


def erase_expired_personal_data(*, cutoff: datetime) -> RetentionReport:
    """Erase what the module docstring lists, for data older than `cutoff`; what was erased."""
    report = RetentionReport()
    campaigns = expired_campaigns(cutoff)
    objections = Objection.objects.filter(HOLDS_OBJECTOR_DATA).filter(
        Q(campaign__in=campaigns) | (Q(answered_at__lt=cutoff) & ~Q(status=ObjectionStatus.OPEN))
    )
    for ids in _by_id_in_chunks(objections):
        for pk in ids:
            report.objections += _erase_objector(pk)
    for campaign in campaigns.only("pk").iterator():
        report.cases += _erase_case_contacts(campaign)
        report.download_addresses += _erase_download_addresses(campaign)
    report.login_records = erase_old_login_records(cutoff=cutoff)
    return report


@transaction.atomic
def _erase_objector(pk: int) -> int:
    # Locked and checked here so that the count is exact when two runs meet: the second
    # waits for the first, then finds nothing (the service locks the same row again).
    objection = (
        Objection.objects.select_for_update().filter(pk=pk).filter(HOLDS_OBJECTOR_DATA).first()
    )
    if objection is None:
        return 0
    erase_objector_data(objection=objection, by=None)
    return 1


def _erase_case_contacts(campaign: Campaign) -> int:
    without_award = Case.objects.filter(campaign=campaign).exclude(outcome__in=PUBLIC_OUTCOMES)
    erased = 0
    for ids in _by_id_in_chunks(without_award.filter(HOLDS_CONTACT)):
        with transaction.atomic():
            # Locked and reselected: a run at the same time waits here, then finds nothing.
            locked = list(
                Case.objects.select_for_update()
                .filter(pk__in=ids)
                .filter(HOLDS_CONTACT)
                .values_list("pk", flat=True)
            )
            if not locked:
                continue
            Case.objects.filter(pk__in=locked).update(contact_name="", contact_phone="")
            chain.append(
                kind=CASE_CONTACTS_ERASED,
                obj=campaign,
                content={"cases": locked, "erased": list(CASE_CONTACT_FIELDS), "by": None},
            )
            erased += len(locked)
    return erased


# The download logs holding an address, and the path from each to its campaign: attachments,
# and experts' watermarked copies of the 申报书 (reviews/documents).
DOWNLOAD_LOGS = (
    (AttachmentDownload, "attachment__case__campaign"),
    (ApplicationFormDownload, "case__campaign"),
)


def _erase_download_addresses(campaign: Campaign) -> int:
    return sum(_erase_addresses_of(model, campaign, path) for model, path in DOWNLOAD_LOGS)


def _erase_addresses_of(model, campaign: Campaign, campaign_path: str) -> int:
    downloads = model.objects.filter(**{campaign_path: campaign}, ip_address__isnull=False)
    erased = 0
    for ids in _by_id_in_chunks(downloads):
        with transaction.atomic():
            # Locked and reselected without a join, so that PostgreSQL rechecks the address
            # on the row a concurrent run just updated (an UPDATE through the join would not).
            locked = list(
                model.objects.select_for_update()
                .filter(pk__in=ids, ip_address__isnull=False)
                .values_list("pk", flat=True)
            )
            if not locked:
                continue
            model.objects.filter(pk__in=locked).update(ip_address=None)
            chain.append(
                kind=DOWNLOAD_ADDRESSES_ERASED,
                obj=campaign,
                content={"download_addresses": len(locked), "by": None},
            )
            erased += len(locked)
    return erased
