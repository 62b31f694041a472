"""Campaign state changes: each checks its invariants, records itself, and runs in one transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import InvalidTransition
from common.timefmt import local_datetime
from reform_cases.filetypes import SIGNATURES, safe_filename
from reform_cases.models import (
    Campaign,
    CampaignFile,
    CampaignStatus,
    CampaignStatusChange,
    CaseStatus,
)
from reform_cases.publication.cache import invalidate_public_results

S = CampaignStatus
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
EDITABLE_STATUSES = (S.DRAFT, S.OPEN, S.CHECKING, S.REVIEWING, S.RANKING)


def allowed_targets(campaign: Campaign) -> list[str]:
    return [t for t in (FORWARD.get(campaign.status), BACKWARD.get(campaign.status)) if t]


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


@transaction.atomic
def change_campaign_status(
    *, campaign: Campaign, by, to: str, confirm: bool = False, note: str = ""
) -> Campaign:
    """Move a campaign to the next (or previous) status of the award."""
    campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if to not in allowed_targets(campaign):
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


@transaction.atomic
def save_campaign(*, form, tier_formset, by) -> Campaign:
    """Create or edit a campaign and its tiers together."""
    campaign = form.instance
    if campaign.pk and campaign.status not in EDITABLE_STATUSES:
        raise InvalidTransition(_("结果锁定后不能再修改评选活动的设置。"))
    campaign = form.save()
    tier_formset.instance = campaign
    tier_formset.save()
    transaction.on_commit(invalidate_public_results)
    return campaign


@transaction.atomic
def add_campaign_file(*, campaign: Campaign, by, title: str, upload, kind: str) -> CampaignFile:
    item = CampaignFile(
        campaign=campaign,
        title=title.strip() or upload.name,
        content_type=SIGNATURES[kind],
        size=upload.size,
        uploaded_by=by,
    )
    item.file.save(safe_filename(upload.name), upload, save=False)
    item.save()
    transaction.on_commit(invalidate_public_results)
    return item


@transaction.atomic
def remove_campaign_file(*, item: CampaignFile, by) -> None:
    storage, name = item.file.storage, item.file.name
    item.delete()
    transaction.on_commit(lambda: storage.delete(name))
    transaction.on_commit(invalidate_public_results)
