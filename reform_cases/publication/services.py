"""Public notice (公示), objections, publication and outcomes.

The ranking lives in `reviews`; its `publish_notice_from_ranking` hands this module the
outcome of every case (`open_public_notice`), so this app never imports `reviews`.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit import chain
from common.exceptions import InvalidTransition
from common.links import absolute_url
from common.timefmt import local_datetime
from common.transactional_files import save_file
from notifications.models import NotificationKind
from notifications.services import notify
from reform_cases.audit_records import (
    OBJECTION_ANSWERED,
    OBJECTION_PERSONAL_DATA,
    OBJECTOR_DATA_ERASED,
)
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.campaigns.services import complete_owned_transition
from reform_cases.filetypes import check_upload, safe_filename
from reform_cases.models import (
    Campaign,
    CampaignEvent,
    CampaignEventKind,
    CampaignStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseOutcome,
    CaseStatus,
    Correction,
    Objection,
    ObjectionStatus,
    normalise_title,
)
from reform_cases.models.publication import CORRECTION_LABELS
from reform_cases.models.submission import award_label
from reform_cases.publication import manifest
from reform_cases.publication import rules as publication_rules
from reform_cases.publication.cache import invalidate_public_results
from reform_cases.publication.selectors import notice_change_note, outcome_recipients

OBJECTIONS_PER_IP_PER_DAY = 5
# The same objection sent again within this time (a double click, a resent form) is the same one.
DUPLICATE_OBJECTION_WINDOW = timedelta(minutes=10)

# A notice is entered in calendar days and ends at 17:00 Beijing time on its last day.
NOTICE_DAYS = 7
NOTICE_ENDS_AT = time(17, 0)
BEIJING = ZoneInfo("Asia/Shanghai")


def notice_end(*, days: int, start: datetime | None = None) -> datetime:
    """17:00 Beijing time on the last of `days` calendar days, the day of `start` (now) the first.

    A seven-day notice opened on Monday 1 June ends on Sunday 7 June at 17:00.
    """
    first = timezone.localtime(start or timezone.now(), BEIJING).date()
    return datetime.combine(first + timedelta(days=days - 1), NOTICE_ENDS_AT, tzinfo=BEIJING)


@transaction.atomic
def change_notice_period(*, campaign: Campaign, by, ends_at: datetime, reason: str) -> Campaign:
    """Extend or shorten a running notice, with a written reason shown on the public page.

    Only while the notice runs (its end not reached) and to an end later than now; recorded
    as a campaign event (who, when, old → new end, why).
    """
    campaign_rules.require_office(by)
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    campaign_rules.require(
        publication_rules.can_change_notice_period,
        by,
        campaign,
        _("只有公示期内才能调整公示期。"),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写调整公示期的理由。")})
    if ends_at is None or ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("新的公示截止时间必须晚于现在。")})
    old = campaign.notice_ends_at
    if ends_at == old:
        raise ValidationError({"ends_at": _("新的公示截止时间与原定时间相同。")})
    campaign.notice_ends_at = ends_at
    campaign.save(update_fields=["notice_ends_at", "updated_at"])
    CampaignEvent.objects.create(
        campaign=campaign,
        actor=by,
        kind=CampaignEventKind.NOTICE_EXTENDED
        if ends_at > old
        else CampaignEventKind.NOTICE_SHORTENED,
        note=notice_change_note(local_datetime(old), local_datetime(ends_at), reason),
    )
    transaction.on_commit(invalidate_public_results)
    return campaign


@transaction.atomic
def open_public_notice(*, campaign: Campaign, by, ends_at, outcomes: dict) -> Campaign:
    """Open the public notice (公示) of a locked campaign: copy tiers and ranks onto the cases.

    `outcomes` maps case ids to (tier or None, rank or None, score or None);
    accepted cases missing from it are not awarded. Called by the ranking
    (`reviews.ranking.services.publish_notice_from_ranking`); `publish_results`
    ends the notice.
    """
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if not campaign_rules.is_locked(by, campaign):
        raise InvalidTransition(_("排名锁定后才能发布公示。"))
    if ends_at is None or ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("公示截止时间必须晚于现在。")})
    cases = list(
        Case.objects.select_for_update(of=("self",)).filter(
            campaign=campaign, status=CaseStatus.ACCEPTED
        )
    )
    for case in cases:
        tier, rank, score = outcomes.get(case.pk, (None, None, None))
        case.tier = tier
        case.outcome = CaseOutcome.AWARDED if tier is not None else CaseOutcome.NOT_AWARDED
        case.rank = rank if tier is not None else None
        case.final_score = score
    Case.objects.bulk_update(cases, ["tier", "outcome", "rank", "final_score"], batch_size=1000)
    campaign.notice_ends_at = ends_at
    campaign.save(update_fields=["notice_ends_at", "updated_at"])
    complete_owned_transition(
        campaign=campaign,
        by=by,
        to=CampaignStatus.NOTICE,
        note=_("公示至 %(ends)s") % {"ends": local_datetime(ends_at)},
    )
    return campaign


def objections_today(ip: str | None) -> int:
    if not ip:
        return 0
    return Objection.objects.filter(
        ip_address=ip, created_at__gte=timezone.now() - timedelta(days=1)
    ).count()


@transaction.atomic
def submit_objection(
    *, campaign: Campaign, case=None, name: str, contact: str, text: str, ip=None, upload=None
) -> Objection:
    """Anyone may object during the notice; at most five a day from one address.

    Idempotent: the same objection (campaign, case, name, contact, text) from the same address
    within DUPLICATE_OBJECTION_WINDOW returns the one already stored.
    """
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if campaign.status != CampaignStatus.NOTICE or campaign.is_demo:
        raise InvalidTransition(_("该评选结果不在公示期,不受理异议。"))
    if campaign.notice_ends_at and timezone.now() > campaign.notice_ends_at:
        raise InvalidTransition(_("公示期已结束,不再受理异议。"))
    # The campaign row is locked above, so two identical submissions at once are serialised
    # here: the second finds the first and returns it instead of storing (and counting) it twice.
    duplicate = (
        Objection.objects.filter(
            campaign=campaign,
            case=case,
            name=name.strip(),
            contact=contact.strip(),
            text=text.strip(),
            ip_address=ip,
            created_at__gte=timezone.now() - DUPLICATE_OBJECTION_WINDOW,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if duplicate is not None:
        return duplicate
    if objections_today(ip) >= OBJECTIONS_PER_IP_PER_DAY:
        raise InvalidTransition(
            _("同一网络地址每天最多提交 %(n)d 条异议,请明天再试,或通过公示中公布的电话联系组织方。")
            % {"n": OBJECTIONS_PER_IP_PER_DAY}
        )
    if case is not None and (case.campaign_id != campaign.pk or not case.is_public):
        raise ValidationError({"case": _("请选择公示名单中的案例。")})
    objection = Objection(
        campaign=campaign,
        case=case,
        name=name.strip(),
        contact=contact.strip(),
        text=text.strip(),
        ip_address=ip,
    )
    if upload is not None:
        try:
            check_upload(upload, allowed=("pdf", "jpg", "png"))
        except ValueError as exc:
            raise ValidationError({"file": str(exc)}) from exc
        objection.file_name = safe_filename(upload.name)
        # Removed again if the row or the notification below fails.
        save_file(objection.file, objection.file_name, upload)
    objection.save()
    notify(
        User.objects.filter(role=Role.ADMINISTRATOR, is_active=True),
        kind=NotificationKind.OBJECTION_RECEIVED,
        obj=objection,
        context={"campaign": campaign, "case": case},
        link=absolute_url(reverse("manage:objections", kwargs={"pk": campaign.pk})),
    )
    return objection


@transaction.atomic
def answer_objection(
    *, objection: Objection, by, decision: str, answer: str, new_award=None
) -> Objection:
    """Answer in writing; an upheld objection may change the case's tier through a recorded correction."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("case", "campaign")
        .get(pk=objection.pk)
    )
    if decision not in (ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED):
        raise ValidationError({"decision": _("请选择异议是否成立。")})
    if not (answer or "").strip():
        raise ValidationError({"answer": _("请填写书面答复。")})
    if not publication_rules.can_answer_objection(by, objection.campaign):
        raise InvalidTransition(_("评选活动不在公示或发布阶段。"))
    objection.status = decision
    objection.answer = answer.strip()
    objection.answered_by = by
    objection.answered_at = timezone.now()
    objection.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    chain.record_state(OBJECTION_ANSWERED, objection)
    if decision == ObjectionStatus.UPHELD and new_award is not None and objection.case is not None:
        correct_case(
            case=objection.case,
            by=by,
            reason=_("异议成立:%(answer)s") % {"answer": answer.strip()},
            changes={"award": new_award},
            objection=objection,
        )
    return objection


@transaction.atomic
def erase_objector_data(*, objection: Objection, by) -> Objection:
    """Erase who objected (name, contact, address, file) once the retention period is over.

    The objection's text, case and answer stay; the erasure is itself a chained record, and
    the chain holds none of the erased data, so it stays intact (audit/chain.py).
    """
    campaign_rules.require_office(by)
    objection = Objection.objects.select_for_update(of=("self",)).get(pk=objection.pk)
    erased = [name for name in OBJECTION_PERSONAL_DATA if getattr(objection, name)]
    if not erased:
        return objection
    storage, stored = objection.file.storage, objection.file.name
    objection.name = objection.contact = objection.file_name = ""
    objection.ip_address = None
    objection.file = ""
    objection.save(update_fields=["name", "contact", "file_name", "ip_address", "file"])
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    chain.append(
        kind=OBJECTOR_DATA_ERASED,
        obj=objection,
        content={"erased": erased, "by": by.pk if by else None, "at": timezone.now()},
    )
    return objection


def publish_refusal(by, campaign: Campaign) -> str:
    """Why the results of `campaign` cannot be published now ('' when they can)."""
    if not publication_rules.can_publish_results(by, campaign):
        return _("只有公示中的评选结果可以发布。")
    if campaign.notice_ends_at and timezone.now() < campaign.notice_ends_at:
        return _("公示期至 %(ends)s 结束,结束后才能发布。") % {
            "ends": local_datetime(campaign.notice_ends_at)
        }
    open_count = campaign.objections.filter(status=ObjectionStatus.OPEN).count()
    if open_count:
        return _("还有 %(n)d 条异议未答复,答复后才能发布。") % {"n": open_count}
    return ""


@transaction.atomic
def publish_results(*, campaign: Campaign, by, announced_on: date | None = None) -> Campaign:
    """After the notice and every objection answered: publish and tell each locality its outcome.

    `announced_on` is the announcement date (揭晓日期) shown with the results; by default
    the day of publication (Beijing time).
    """
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    refusal = publish_refusal(by, campaign)
    if refusal:
        raise InvalidTransition(refusal)
    complete_owned_transition(campaign=campaign, by=by, to=CampaignStatus.PUBLISHED)
    campaign.refresh_from_db()
    campaign.announced_on = announced_on or timezone.localtime(timezone.now(), BEIJING).date()
    campaign.save(update_fields=["announced_on", "updated_at"])
    manifest.freeze_manifest(campaign=campaign, by=by, reason=_("发布评选结果"))
    # The same recipients the confirmation page counted (selectors.publication_impact).
    for case, members in outcome_recipients(campaign):
        notify(
            members,
            kind=NotificationKind.CASE_OUTCOME,
            obj=case,
            context={"campaign": campaign, "awarded": case.tier is not None},
            link=absolute_url(reverse("results:year", kwargs={"year": campaign.year})),
        )
    transaction.on_commit(invalidate_public_results)
    return campaign


# Fields a correction may change, and how each is shown in the public record.
CORRECTABLE_FIELDS = (
    "title",
    "award",
    "organisation",
    "co_organisations",
    "region",
    "field",
    "summary",
    "evidence",
)


def _display(case: Case, name: str) -> str:
    if name == "award":
        return case.award_label
    if name == "co_organisations":
        return "、".join(o.name for o in case.co_organisations.all())
    value = getattr(case, name)
    if value is None:
        return ""
    if name in ("organisation", "region", "field"):
        return getattr(value, "name", str(value))
    return str(value)


def correction_preview(case: Case, changes: dict) -> list[tuple[str, str, str]]:
    """(label, old, new) of each field `correct_case` would change; changes nothing.

    Refuses (ValidationError) a title another case of the campaign has, as `correct_case` would.
    """
    rows = []
    for name, new in changes.items():
        old_text = _display(case, name)
        if name == "title" and normalise_title(new or "") != case.title_key:
            _refuse_duplicate_title(case, new)
        if name == "award":
            new_text = award_label(*new)
        elif name == "co_organisations":
            new_text = "、".join(o.name for o in new)
        else:
            new_text = "" if new is None else getattr(new, "name", str(new))
        if new_text != old_text:
            rows.append((str(CORRECTION_LABELS.get(name, name)), old_text, new_text))
    return rows


def _refuse_duplicate_title(case: Case, title) -> None:
    """A case's title is unique in its campaign (normalised: see normalise_title)."""
    other = (
        Case.objects.filter(campaign_id=case.campaign_id, title_key=normalise_title(title or ""))
        .exclude(pk=case.pk)
        .only("title")
        .first()
    )
    if other is not None:
        raise ValidationError(
            {"title": _("本年度已有同名案例“%(title)s”。") % {"title": other.title}}
        )


@transaction.atomic
def correct_case(
    *, case: Case, by, reason: str, changes: dict, objection: Objection | None = None
) -> list[Correction]:
    """Change a case's published facts, recording who, when, old → new and why.

    `changes` may hold any of CORRECTABLE_FIELDS; "award" is a (tier, outcome)
    pair. During the notice the award changes only through an upheld `objection`.
    Returns the corrections recorded (none when nothing differed).
    """
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写更正理由。")})
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not correctable: {sorted(unknown)}")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("tier", "organisation", "region", "field", "campaign")
        .get(pk=case.pk)
    )
    if "award" in changes and campaign_rules.is_in_notice(by, case.campaign) and objection is None:
        raise InvalidTransition(_("公示期间,等次只能通过成立的异议更正。"))

    recorded = []
    for name, new in changes.items():
        old_text = _display(case, name)
        if name == "award":
            tier, outcome = new
            if tier is not None and tier.campaign_id != case.campaign_id:
                raise ValidationError({"tier": _("等次不属于该案例所在的评选活动。")})
            case.tier, case.outcome = tier, outcome
        elif name == "co_organisations":
            current = {o.pk for o in case.co_organisations.all()}
            if current == {o.pk for o in new}:
                continue
            case.co_organisations.set(new)
        else:
            if name == "title":
                _refuse_duplicate_title(case, new)
            setattr(case, name, new)
        new_text = _display(case, name)
        if new_text != old_text:
            recorded.append(
                Correction(
                    campaign_id=case.campaign_id,
                    case=case,
                    field_name=name,
                    old_value=old_text,
                    new_value=new_text,
                    reason=reason.strip(),
                    actor=by,
                )
            )
    if not recorded:
        return []
    case.full_clean(exclude=["title_key", "created_by"], validate_unique=True)
    try:
        with transaction.atomic():  # a savepoint: a title taken meanwhile is refused cleanly
            case.save()
    except IntegrityError:
        if "title" in changes:
            _refuse_duplicate_title(case, case.title)
        raise
    for correction in recorded:
        correction.save()  # one by one: each is chained (audit) as it is written
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind=CaseEventKind.CORRECTED,
        note=reason.strip(),
    )
    if case.campaign.manifests.exists():
        # After publication each correction appends a version of the results manifest.
        manifest.freeze_manifest(
            campaign=case.campaign, by=by, reason=_("更正:%(reason)s") % {"reason": reason.strip()}
        )
    transaction.on_commit(invalidate_public_results)
    return recorded
