"""The submission workflow: drafts, attachments, submit, withdraw, formal check.

Every transition locks the case row, checks the state it starts from, writes a
CaseEvent and its notifications in the same transaction.

Two writers of one draft: each save of its text raises `Case.edit_version` under the row
lock, and a save from a page drawn from an older version is refused (`DraftChanged`, which
carries the stored case) rather than silently overwriting the other save. Two posts of one
new-case form: the form's one-time token is stored on the draft it creates (a unique
column), and the second post finds that draft (`DraftAlreadyCreated`) instead of making a
second one.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, Role, User
from common.exceptions import AlreadySubmitted, InvalidTransition
from common.links import absolute_url
from common.lists import join_list
from common.timefmt import local_datetime
from common.transactional_files import save_file
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
    normalise_title,
)
from reform_cases.signals import case_submitted
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import selectors as submission_selectors

REQUIRED_FIELDS = ("title", "field", *CASE_SECTIONS, "contact_name", "contact_phone")
DRAFT_FIELDS = (*REQUIRED_FIELDS, "region")
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_CO_ORGANISATIONS = 10
# Cases that take up one of the organisation's places in a campaign.
COUNTED_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.ACCEPTED)


class DraftChanged(InvalidTransition):
    """A save from a page drawn from an older version of the draft; `current` is the stored case."""

    def __init__(self, message, *, current: Case, differences: list[dict]):
        super().__init__(message)
        self.current = current
        self.differences = differences  # submission_selectors.draft_differences


class DraftAlreadyCreated(InvalidTransition):
    """The new-case form was posted again: `case` is the draft its first post created."""

    def __init__(self, message, *, case: Case):
        super().__init__(message)
        self.case = case


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


def why_not_editable(case: Case, by) -> str | None:
    """Why `by` may not change `case` now (the message `update_draft` would refuse with), or None."""
    try:
        _require_editable(case, by)
    except InvalidTransition as exc:
        return exc.messages[0]
    except PermissionDenied:
        return _("您不能修改这个案例。")
    return None


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


def _co_organisations(organisations, *, own_id) -> list:
    """The co-implementing organisations without the case's own, refused beyond the limit."""
    chosen = [o for o in organisations if o.pk != own_id]
    if len(chosen) > MAX_CO_ORGANISATIONS:
        raise ValidationError(
            {
                "co_organisations": _("共同实施单位最多 %(limit)d 个,当前选择了 %(n)d 个。")
                % {"limit": MAX_CO_ORGANISATIONS, "n": len(chosen)}
            }
        )
    return chosen


def _title_taken_error(case: Case) -> ValidationError:
    return ValidationError(
        {
            "title": _("本次评选中已有名为“%(title)s”的案例,请换一个案例名称。")
            % {"title": case.title}
        }
    )


def _require_free_title(case: Case) -> None:
    """A title is a case's identity within its campaign (Case.title_key): refuse a taken one."""
    key = normalise_title(case.title)
    if not key:  # only spaces and quotation marks: no identity at all
        raise ValidationError({"title": _("案例名称不能只由空格或引号组成。")})
    if (
        Case.objects.filter(campaign_id=case.campaign_id, title_key=key)
        .exclude(pk=case.pk)
        .exists()
    ):
        raise _title_taken_error(case)


def _save_draft(case: Case) -> None:
    """Save, turning a lost race on a unique column into the answer its loser should get."""
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        if case.creation_token is not None and case.pk is None:
            existing = Case.objects.filter(creation_token=case.creation_token).first()
            if existing is not None:
                raise _already_created(existing, case.organisation_id) from None
        taken = Case.objects.filter(
            campaign_id=case.campaign_id, title_key=normalise_title(case.title)
        ).exclude(pk=case.pk)
        if taken.exists():
            raise _title_taken_error(case) from None
        raise


def _already_created(existing: Case, organisation_id) -> InvalidTransition:
    if existing.organisation_id != organisation_id:
        # Tokens are random: another organisation's token was copied, not guessed. Say nothing.
        return InvalidTransition(_("表单已失效,请重新打开申报页面。"))
    return DraftAlreadyCreated(
        _("这份申报表已经提交过一次,草稿“%(title)s”已创建,不会重复创建。")
        % {"title": existing.title or _("(未命名草稿)")},
        case=existing,
    )


@transaction.atomic
def create_draft(
    *, campaign: Campaign, by, data: dict, co_organisations=(), form_token=None
) -> Case:
    """Start a draft of `by`'s organisation.

    `form_token` is the new-case form's one-time token: a second post of the same form raises
    `DraftAlreadyCreated` with the draft the first one created.
    """
    if not submission_rules.is_locality_user(by):
        raise InvalidTransition(_("只有申报单位用户可以申报案例。"))
    # One draft is started at a time per campaign: the second of two posts of one form
    # waits here, then finds the first one's draft by its token.
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if form_token is not None:
        existing = Case.objects.filter(creation_token=form_token).first()
        if existing is not None:
            raise _already_created(existing, by.organisation_id)
    if not submission_rules.campaign_takes_drafts(by, campaign):
        if campaign.status == CampaignStatus.OPEN and submission_rules.submission_closed(campaign):
            raise InvalidTransition(
                _("申报截止时间(%(deadline)s)已过,不能再申报新案例。")
                % {"deadline": local_datetime(campaign.submission_closes_at, if_none="—")}
            )
        raise InvalidTransition(_("该评选活动目前不接受申报。"))
    co = _co_organisations(co_organisations, own_id=by.organisation_id)
    case = Case(
        campaign=campaign, organisation=by.organisation, created_by=by, creation_token=form_token
    )
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(case, name, data[name])
    if case.region_id is None:
        case.region = by.organisation.city or None
    case.full_clean(exclude=["title_key", "created_by"])
    _require_free_title(case)
    _save_draft(case)
    case.co_organisations.set(co)
    CaseEvent.objects.create(case=case, actor=by, kind=CaseEventKind.CREATED)
    return case


@transaction.atomic
def update_draft(
    *, case: Case, by, data: dict, co_organisations=None, expected_version: int | None = None
) -> Case:
    """Save a draft's (or a returned case's) text; returns the case, `edit_version` the new one.

    `expected_version` is the `edit_version` the page was drawn from. When the stored draft
    has moved on since (or the version is one it never had), the save is refused with
    `DraftChanged` and nothing is written, unless it would change nothing. Without
    `expected_version` (the system, tests) the save is unconditional.
    """
    case = _locked(case)
    _require_editable(case, by)
    co = None
    if co_organisations is not None:
        co = _co_organisations(co_organisations, own_id=case.organisation_id)
    if expected_version is not None and expected_version != case.edit_version:
        typed = {name: data[name] for name in DRAFT_FIELDS if name in data}
        if co is not None:
            typed["co_organisations"] = co
        differences = submission_selectors.draft_differences(case, typed)
        if not differences:
            return case  # the stored draft says exactly this already: nothing is lost
        if 1 <= expected_version < case.edit_version:
            message = _(
                "此草稿已被他人(或另一窗口)修改并保存,您的修改尚未保存。"
                "请对照下方已保存的版本,确认后再保存。"
            )
        else:  # a version the draft never had: not drawn by this site
            message = _(
                "页面的版本信息无效,您的修改尚未保存。请对照下方已保存的版本,确认后再保存。"
            )
        raise DraftChanged(message, current=case, differences=differences)
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(case, name, data[name])
    case.full_clean(exclude=["title_key", "created_by"])
    _require_free_title(case)
    case.edit_version += 1
    _save_draft(case)
    if co is not None:
        case.co_organisations.set(co)
    return case


@transaction.atomic
def update_draft_and_attach(
    *,
    case: Case,
    by,
    data: dict,
    upload,
    kind: str,
    co_organisations=None,
    expected_version: int | None = None,
) -> tuple[Case, Attachment]:
    """The edit page's upload: the typed draft saved, then the file added, in one transaction.

    Each step keeps its own checks (`update_draft`'s version check, then `add_attachment`'s);
    when either refuses, neither is written, and the page shows again what was typed.
    """
    case = update_draft(
        case=case,
        by=by,
        data=data,
        co_organisations=co_organisations,
        expected_version=expected_version,
    )
    attachment = add_attachment(case=case, by=by, upload=upload, kind=kind)
    return case, attachment


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
            % {"items": join_list(missing)}
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
    case_submitted.send(sender=Case, case_id=case.pk)
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
    # Removed from the store again if this transaction (or one around it) rolls back.
    save_file(attachment.file, name, upload)
    attachment.save()
    return attachment


@transaction.atomic
def set_attachment_hidden(*, attachment: Attachment, by, hidden: bool) -> Attachment:
    """Hide a file from the experts (or show it again), recorded in the case's events.

    For a file that would reveal the organisation in a blind review; the office and the
    locality still see it.
    """
    case = _locked(attachment.case)
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    if not submission_rules.case_goes_to_experts(by, case):
        if case.status not in submission_rules.EXPERT_BOUND_STATUSES:
            raise InvalidTransition(
                _("案例当前状态为“%(status)s”,不能调整附件对专家是否可见。")
                % {"status": case.get_status_display()}
            )
        raise InvalidTransition(_("专家评审已经结束,不能再调整附件对专家是否可见。"))
    attachment = Attachment.objects.get(pk=attachment.pk, case=case)
    if attachment.hidden_from_experts == hidden:
        return attachment
    attachment.hidden_from_experts = hidden
    attachment.save(update_fields=["hidden_from_experts"])
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind=CaseEventKind.ATTACHMENT_HIDDEN if hidden else CaseEventKind.ATTACHMENT_SHOWN,
        note=attachment.original_name,
    )
    return attachment


@transaction.atomic
def remove_attachment(*, attachment: Attachment, by) -> None:
    case = _locked(attachment.case)
    _require_editable(case, by)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
