"""Campaign state changes: each checks its invariants, records itself, and runs in one transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.exceptions import InvalidTransition
from common.forms import describe_changes, describe_formset, text_problems
from common.timefmt import local_datetime
from common.transactional_files import save_file
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.filetypes import SIGNATURES, check_upload, safe_filename
from reform_cases.models import (
    Campaign,
    CampaignEvent,
    CampaignEventKind,
    CampaignFile,
    CampaignStatus,
    CampaignStatusChange,
    CaseStatus,
)
from reform_cases.publication.cache import invalidate_public_results

S = CampaignStatus
# What a template of the call may be (CampaignFileForm offers the same).
CALL_FILE_TYPES = ("pdf", "docx", "xlsx")
# The order of the award: forward one step at a time; some steps may go back (with a reason).
FORWARD = {
    S.DRAFT: S.OPEN,
    S.OPEN: S.CHECKING,
    S.CHECKING: S.REVIEWING,
    S.REVIEWING: S.RANKING,
    S.RANKING: S.LOCKED,
    S.LOCKED: S.NOTICE,
    S.NOTICE: S.PUBLISHED,
}
BACKWARD = {
    S.OPEN: S.DRAFT,
    S.CHECKING: S.OPEN,
    S.REVIEWING: S.CHECKING,
    S.RANKING: S.REVIEWING,
    S.LOCKED: S.RANKING,
}
OWNED_MESSAGES = {
    "lock_ranking": gettext_lazy(
        "锁定排名请在排名页面操作:那里会先检查排名已计算、边界并列已决定。"
    ),
    "reopen_ranking": gettext_lazy("重新开放排名请在排名页面填写理由后操作。"),
    "publish_notice_from_ranking": gettext_lazy("发布公示请在排名页面操作。"),
    "publish_results": gettext_lazy(
        "发布评选结果请使用本页的“发布评选结果”按钮(公示期结束且异议均已答复后)。"
    ),
}


OWNED_HINTS = {
    "lock_ranking": gettext_lazy("锁定排名请在最后一轮的排名页面进行。"),
    "reopen_ranking": gettext_lazy("如需修改已锁定的排名,请在排名页面填写理由后重新开放排名。"),
    "publish_notice_from_ranking": gettext_lazy(
        "发布公示请在最后一轮的排名页面进行(等次和名次会复制到案例)。"
    ),
}


def owned_steps(campaign: Campaign) -> list[str]:
    """Where the next steps that have a page of their own are taken (publication has a button here)."""
    return [
        str(OWNED_HINTS[name])
        for (current, _target), name in campaign_rules.OWNED_TRANSITIONS.items()
        if current == campaign.status and name in OWNED_HINTS
    ]


def allowed_targets(campaign: Campaign) -> list[str]:
    """Statuses the generic status form may move `campaign` to."""
    return campaign_rules.form_targets(campaign, FORWARD, BACKWARD)


def _check_invariants(campaign: Campaign, target: str, *, confirm: bool, note: str) -> None:
    now = timezone.now()
    counts = {
        row["status"]: row["n"] for row in campaign.cases.values("status").annotate(n=Count("id"))
    }
    going_back = BACKWARD.get(campaign.status) == target
    if going_back and not note.strip():
        raise ValidationError({"note": _("退回上一阶段必须填写原因。")})
    if target == S.OPEN:
        opens, closes = campaign.submission_opens_at, campaign.submission_closes_at
        if not opens or not closes:
            raise InvalidTransition(_("请先设置申报开始和截止时间。"))
        if closes <= opens:
            raise InvalidTransition(_("申报截止时间必须晚于开始时间。"))
        if closes <= now:
            raise InvalidTransition(_("申报截止时间已过,请先修改截止时间。"))
        if not campaign.tiers.exists():
            raise InvalidTransition(_("请先设置至少一个奖项等次及名额。"))
    if target == S.DRAFT:
        submitted = sum(n for status, n in counts.items() if status != CaseStatus.DRAFT)
        if submitted:
            raise InvalidTransition(_("已有 %(n)d 个案例提交,不能退回草稿。") % {"n": submitted})
    if target == S.CHECKING and not going_back:
        closes = campaign.submission_closes_at
        if closes and closes > now and not confirm:
            raise InvalidTransition(
                _("申报截止时间(%(closes)s)未到。如确需提前结束征集,请勾选确认后再提交。")
                % {"closes": local_datetime(closes)}
            )
    if target == S.REVIEWING and not going_back:
        if not counts.get(CaseStatus.ACCEPTED):
            raise InvalidTransition(_("还没有通过形式审查的案例,不能进入专家评审。"))
        pending = counts.get(CaseStatus.SUBMITTED, 0)
        if pending:
            raise InvalidTransition(_("还有 %(n)d 个已提交的案例未完成形式审查。") % {"n": pending})
        # A returned case must not be left dangling: the locality could neither revise it
        # (the formal check is over) nor learn that it is out.
        returned = counts.get(CaseStatus.RETURNED, 0)
        if returned:
            raise InvalidTransition(
                _(
                    "还有 %(n)d 个退回修改的案例:请等待其重新提交并完成审查,"
                    "或将其标为不予受理(申报单位会收到通知),再进入专家评审。"
                )
                % {"n": returned}
            )


@transaction.atomic
def change_campaign_status(
    *, campaign: Campaign, by, to: str, confirm: bool = False, note: str = ""
) -> Campaign:
    """Move a campaign to the next (or previous) status of the award: the status form's path.

    The transitions that belong to a service of their own (`OWNED_TRANSITIONS`: lock,
    reopen, notice, publication) are refused here, so that none is made around its checks.
    """
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    owner = campaign_rules.OWNED_TRANSITIONS.get((campaign.status, to))
    if owner:
        raise InvalidTransition(OWNED_MESSAGES[owner])
    return _move(campaign, by=by, to=to, confirm=confirm, note=note)


@transaction.atomic
def complete_owned_transition(*, campaign: Campaign, by, to: str, note: str = "") -> Campaign:
    """The last step of a service that owns a transition (`lock_ranking`, `reopen_ranking`,
    `open_public_notice`, `publish_results`), called after that service's own checks."""
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if (campaign.status, to) not in campaign_rules.OWNED_TRANSITIONS:
        raise InvalidTransition(
            _("不能从“%(current)s”直接变更为“%(target)s”。")
            % {"current": campaign.get_status_display(), "target": S(to).label}
        )
    return _move(campaign, by=by, to=to, confirm=True, note=note)


def _move(campaign: Campaign, *, by, to: str, confirm: bool, note: str) -> Campaign:
    if to not in (FORWARD.get(campaign.status), BACKWARD.get(campaign.status)):
        raise InvalidTransition(
            _("不能从“%(current)s”直接变更为“%(target)s”。")
            % {
                "current": campaign.get_status_display(),
                "target": S(to).label if to in S.values else to,
            }
        )
    _check_invariants(campaign, to, confirm=confirm, note=note)
    previous = campaign.status
    campaign.status = to
    fields = ["status", "updated_at"]
    if to == S.PUBLISHED and campaign.published_at is None:
        campaign.published_at = timezone.now()
        fields.append("published_at")
    campaign.save(update_fields=fields)
    CampaignStatusChange.objects.create(
        campaign=campaign, from_status=previous, to_status=to, actor=by, note=note.strip()
    )
    transaction.on_commit(invalidate_public_results)
    return campaign


def _record(campaign: Campaign, by, kind: str, note: str) -> None:
    CampaignEvent.objects.create(campaign=campaign, actor=by, kind=kind, note=note)


@transaction.atomic
def save_campaign(*, form, tier_formset, by) -> Campaign:
    """Create or edit a campaign and its tiers together."""
    campaign = form.instance
    if not campaign_rules.is_office(by):
        raise PermissionDenied
    if campaign.pk and not campaign_rules.can_edit_campaign(by, campaign):
        raise InvalidTransition(_("结果锁定后不能再修改评选活动的设置。"))
    created = campaign.pk is None
    settings_changed = "" if created else describe_changes(form)
    tiers_changed = describe_formset(tier_formset)
    campaign = form.save()
    tier_formset.instance = campaign
    tier_formset.save()
    if created:
        _record(campaign, by, CampaignEventKind.CREATED, campaign.title)
    elif settings_changed:
        _record(campaign, by, CampaignEventKind.SETTINGS_CHANGED, settings_changed)
    if tiers_changed:
        _record(campaign, by, CampaignEventKind.TIERS_CHANGED, tiers_changed)
    transaction.on_commit(invalidate_public_results)
    return campaign


@transaction.atomic
def add_campaign_file(*, campaign: Campaign, by, title: str, upload) -> CampaignFile:
    """A template of the call; its content is checked here, before it reaches the store."""
    try:
        kind = check_upload(upload, allowed=CALL_FILE_TYPES)
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    item = CampaignFile(
        campaign=campaign,
        title=title.strip() or upload.name,
        content_type=SIGNATURES[kind],
        size=upload.size,
        uploaded_by=by,
    )
    # Removed from the store again if this transaction (or one around it) rolls back.
    save_file(item.file, safe_filename(upload.name), upload)
    item.save()
    _record(campaign, by, CampaignEventKind.FILE_ADDED, f"{item.title}({item.file.name})")
    transaction.on_commit(invalidate_public_results)
    return item


@transaction.atomic
def remove_campaign_file(*, item: CampaignFile, by) -> None:
    storage, name = item.file.storage, item.file.name
    _record(item.campaign, by, CampaignEventKind.FILE_REMOVED, f"{item.title}({name})")
    item.delete()
    transaction.on_commit(lambda: storage.delete(name))
    transaction.on_commit(invalidate_public_results)


def organiser_name_problems(value: str) -> list[str]:
    """Why a typed organiser's name cannot be printed on the certificates; [] when it can."""
    field = Campaign._meta.get_field("organiser_name")
    problems = text_problems(value, label=field.verbose_name, max_length=field.max_length)
    if not value.strip():
        problems.append(_("请填写主办单位的名称(不能只填空格)。"))
    return problems


@transaction.atomic
def set_organiser_name(*, campaign: Campaign, by, organiser_name: str) -> Campaign:
    """Set or correct the organiser's name printed on the award certificates, in any status.

    Unlike the other settings it stays open after the lock and after publication, when the
    certificates are printed: it decides no tier and the results manifest does not hold it,
    so changing it leaves every published hash valid. Recorded before → after."""
    if not campaign_rules.can_set_organiser_name.test(by, campaign):
        raise PermissionDenied
    # One line on the certificate: runs of white space (a pasted line break) become one space.
    value = " ".join(organiser_name.split())
    problems = organiser_name_problems(value)
    if problems:
        raise ValidationError({"organiser_name": problems})
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    before = campaign.organiser_name
    if value == before:
        return campaign
    campaign.organiser_name = value
    campaign.save(update_fields=["organiser_name", "updated_at"])
    label = Campaign._meta.get_field("organiser_name").verbose_name
    _record(campaign, by, CampaignEventKind.ORGANISER_CHANGED, f"{label}:{before or '—'} → {value}")
    return campaign
