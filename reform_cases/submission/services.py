"""The submission workflow: drafts, attachments, submit, withdraw, formal check.

Every transition locks the case row, checks the state it starts from, writes a
CaseEvent and its notifications in the same transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, Role, User
from common.exceptions import AlreadySubmitted, InvalidTransition
from common.links import absolute_url
from common.timefmt import local_datetime
from notifications.models import NotificationKind
from notifications.services import notify
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.filetypes import SIGNATURES, check_upload, safe_filename
from reform_cases.models import (
    CASE_SECTIONS,
    Attachment,
    AttachmentKind,
    Campaign,
    CampaignStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    FormalCheckAction,
)
from reform_cases.submission import rules as submission_rules

REQUIRED_FIELDS = ("title", "field", *CASE_SECTIONS, "contact_name", "contact_phone")
DRAFT_FIELDS = (*REQUIRED_FIELDS, "region")
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Cases that take up one of the organisation's places in a campaign.
COUNTED_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.ACCEPTED)


def _members(organisation):
    return User.objects.filter(organisation=organisation, role=Role.LOCALITY, is_active=True)


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=case.pk)


def _require_editable(case: Case, by) -> None:
    """Refuse unless `by` may change `case` now (reform_cases/submission/rules.py)."""
    if not submission_rules.is_own_case(by, case):
        raise PermissionDenied
    if submission_rules.case_is_writable(by, case):
        return
    if case.status == CaseStatus.RETURNED:
        if case.campaign.status not in submission_rules.FORMAL_CHECK_STATUSES:
            raise InvalidTransition(_("评选活动已进入专家评审,退回的案例不能再修改或重新提交。"))
        raise InvalidTransition(
            _("修改截止时间(%(deadline)s)已过,不能再修改。")
            % {"deadline": local_datetime(case.revise_by, if_none="—")}
        )
    if case.status == CaseStatus.DRAFT:
        if case.campaign.status == CampaignStatus.OPEN:
            raise InvalidTransition(
                _("申报截止时间(%(deadline)s)已过,草稿不能再修改。")
                % {"deadline": local_datetime(case.campaign.submission_closes_at, if_none="—")}
            )
        raise InvalidTransition(_("该评选活动已停止征集,草稿不能再修改。"))
    raise InvalidTransition(_("案例已提交,处于只读状态;退回后才能修改。"))


def missing_for_submission(case: Case) -> list[str]:
    """Names of the required fields and attachment kinds the case still lacks."""
    missing = []
    for name in REQUIRED_FIELDS:
        value = case.field_id if name == "field" else getattr(case, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(str(Case._meta.get_field(name).verbose_name))
    present = set(case.attachments.values_list("kind", flat=True))
    for kind in case.campaign.required_attachment_kinds or []:
        if kind not in present and kind in AttachmentKind.values:
            missing.append(_("附件:%(kind)s") % {"kind": AttachmentKind(kind).label})
    return missing


@transaction.atomic
def create_draft(*, campaign: Campaign, by, data: dict, co_organisations=()) -> Case:
    if by.role != Role.LOCALITY or not by.organisation_id:
        raise InvalidTransition(_("只有申报单位用户可以申报案例。"))
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if campaign.status != CampaignStatus.OPEN or campaign.is_public:
        raise InvalidTransition(_("该评选活动目前不接受申报。"))
    case = Case(campaign=campaign, organisation=by.organisation, created_by=by)
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(case, name, data[name])
    if case.region_id is None:
        case.region = by.organisation.city or None
    case.full_clean(exclude=["title_key", "created_by"])
    case.save()
    case.co_organisations.set([o for o in co_organisations if o.pk != by.organisation_id])
    CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.CREATED)
    return case


@transaction.atomic
def update_draft(*, case: Case, by, data: dict, co_organisations=None) -> Case:
    case = _locked(case)
    _require_editable(case, by)
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(case, name, data[name])
    case.full_clean(exclude=["title_key", "created_by"])
    case.save()
    if co_organisations is not None:
        case.co_organisations.set([o for o in co_organisations if o.pk != case.organisation_id])
    return case


@transaction.atomic
def submit_case(*, case: Case, by) -> Case:
    """Submit a draft, or resubmit a returned case, after checking everything required."""
    case = _locked(case)
    now = timezone.now()
    campaign = case.campaign
    if case.status == CaseStatus.DRAFT:
        if not campaign.submission_window_is_open(now):
            raise InvalidTransition(
                _("不在申报时间内(%(opens)s 至 %(closes)s),不能提交。草稿已保留。")
                % {
                    "opens": local_datetime(campaign.submission_opens_at, if_none="—"),
                    "closes": local_datetime(campaign.submission_closes_at, if_none="—"),
                }
            )
        kind = CaseEventKind.SUBMITTED
    elif case.status == CaseStatus.RETURNED:
        if campaign.status not in submission_rules.FORMAL_CHECK_STATUSES:
            raise InvalidTransition(_("评选活动已进入专家评审,退回的案例不能再修改或重新提交。"))
        if case.revise_by and now > case.revise_by:
            raise InvalidTransition(
                _("重新提交的截止时间(%(deadline)s)已过。")
                % {"deadline": local_datetime(case.revise_by, if_none="—")}
            )
        kind = CaseEventKind.RESUBMITTED
    elif case.status == CaseStatus.SUBMITTED:
        raise AlreadySubmitted(_("案例已经提交,无需重复提交。"))
    else:
        raise InvalidTransition(
            _("案例当前状态为“%(status)s”,不能提交。") % {"status": case.get_status_display()}
        )
    missing = missing_for_submission(case)
    if missing:
        raise ValidationError(
            _("还不能提交,以下内容缺失:%(items)s。已填写的内容均已保存。")
            % {"items": "、".join(missing)}
        )
    limit = campaign.max_cases_per_organisation
    if kind == CaseEventKind.SUBMITTED and limit:
        # Two drafts submitted at once must not both take the last place: serialise on the
        # organisation's row (a COUNT cannot lock the rows it counts).
        Organisation.objects.select_for_update().filter(pk=case.organisation_id).first()
        used = (
            Case.objects.filter(
                campaign=campaign, organisation_id=case.organisation_id, status__in=COUNTED_STATUSES
            )
            .exclude(pk=case.pk)
            .count()
        )
        if used >= limit:
            raise InvalidTransition(
                _("每个单位在本次评选中最多申报 %(limit)d 个案例,您单位已提交 %(used)d 个。")
                % {"limit": limit, "used": used}
            )
    case.status = CaseStatus.SUBMITTED
    case.submitted_at = now
    case.save(update_fields=["status", "submitted_at", "updated_at"])
    CaseEvent.objects.create(case=case, actor=by, kind=kind)
    notify(
        _members(case.organisation),
        kind=NotificationKind.CASE_SUBMITTED,
        obj=case,
        context={"submitted_at": local_datetime(now)},
        link=_case_link(case),
    )
    return case


@transaction.atomic
def withdraw_case(*, case: Case, by, reason: str = "") -> Case:
    case = _locked(case)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.RETURNED):
        raise InvalidTransition(
            _("案例已“%(status)s”,不能撤回。") % {"status": case.get_status_display()}
        )
    case.status = CaseStatus.WITHDRAWN
    case.save(update_fields=["status", "updated_at"])
    CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.WITHDRAWN, note=reason.strip())
    return case


def _require_formal_checkable(case: Case, by, statuses=(CaseStatus.SUBMITTED,)) -> None:
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    if case.status not in statuses:
        raise InvalidTransition(
            _("只有已提交的案例可以审查(当前:%(status)s)。") % {"status": case.get_status_display()}
        )
    if not submission_rules.can_formal_check(by, case.campaign):
        raise InvalidTransition(_("评选活动已进入下一阶段,不能再做形式审查。"))


def _case_link(case) -> str:
    return absolute_url(reverse("cases:mine-detail", kwargs={"pk": case.pk}))


@transaction.atomic
def accept_case(*, case: Case, by) -> Case:
    case = _locked(case)
    _require_formal_checkable(case, by)
    case.status = CaseStatus.ACCEPTED
    case.save(update_fields=["status", "updated_at"])
    CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.ACCEPTED)
    notify(
        _members(case.organisation),
        kind=NotificationKind.CASE_ACCEPTED,
        obj=case,
        link=_case_link(case),
    )
    return case


@transaction.atomic
def return_case(*, case: Case, by, reason: str, revise_by=None) -> Case:
    """Send a submitted case back to its locality for revision."""
    case = _locked(case)
    _require_formal_checkable(case, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写退回理由。")})
    if revise_by is not None and revise_by <= timezone.now():
        raise ValidationError({"revise_by": _("修改截止时间必须晚于现在。")})
    case.status = CaseStatus.RETURNED
    case.revise_by = revise_by
    case.save(update_fields=["status", "revise_by", "updated_at"])
    CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.RETURNED, note=reason.strip())
    notify(
        _members(case.organisation),
        kind=NotificationKind.CASE_RETURNED,
        obj=case,
        context={"reason": reason.strip(), "revise_by": local_datetime(revise_by, if_none="")},
        link=_case_link(case),
    )
    return case


@transaction.atomic
def mark_ineligible(*, case: Case, by, reason: str) -> Case:
    case = _locked(case)
    # A returned case may be closed too, so that none is left dangling when the review starts.
    _require_formal_checkable(case, by, statuses=(CaseStatus.SUBMITTED, CaseStatus.RETURNED))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写不予受理的理由。")})
    case.status = CaseStatus.INELIGIBLE
    case.save(update_fields=["status", "updated_at"])
    CaseEvent.objects.create(
        case=case, actor=by, kind=CaseEventKind.INELIGIBLE, note=reason.strip()
    )
    notify(
        _members(case.organisation),
        kind=NotificationKind.CASE_INELIGIBLE,
        obj=case,
        context={"reason": reason.strip()},
        link=_case_link(case),
    )
    return case


def formal_check_many(
    *, cases, by, action: FormalCheckAction, reason: str = "", revise_by=None
) -> tuple[int, list[str]]:
    """Apply one formal-check decision to several cases; each in its own transaction."""
    done, errors = 0, []
    for case in cases:
        try:
            if action == FormalCheckAction.ACCEPT:
                accept_case(case=case, by=by)
            elif action == FormalCheckAction.RETURN:
                return_case(case=case, by=by, reason=reason, revise_by=revise_by)
            elif action == FormalCheckAction.INELIGIBLE:
                mark_ineligible(case=case, by=by, reason=reason)
            else:
                raise ValueError(action)
            done += 1
        except ValidationError as exc:
            errors.append(f"{case.title}:{' '.join(exc.messages)}")
    return done, errors


@transaction.atomic
def add_attachment(*, case: Case, by, upload, kind: str) -> Attachment:
    case = _locked(case)
    _require_editable(case, by)
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("请选择附件类型。")})
    if upload.size == 0:
        raise ValidationError({"file": _("文件“%(name)s”是空的。") % {"name": upload.name}})
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {
                "file": _("文件过大(上限 %(mb)d MB)。")
                % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
            }
        )
    if case.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            {"file": _("每个案例最多上传 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS}}
        )
    try:
        detected = check_upload(upload)
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    name = safe_filename(upload.name)
    attachment = Attachment(
        case=case,
        kind=kind,
        original_name=name,
        content_type=SIGNATURES[detected],
        size=upload.size,
        uploaded_by=by,
    )
    attachment.file.save(name, upload, save=False)
    stored = attachment.file.name
    # A file written for a row that is not saved would be an orphan.
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def remove_attachment(*, attachment: Attachment, by) -> None:
    case = _locked(attachment.case)
    _require_editable(case, by)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
