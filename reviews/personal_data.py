"""What reviews holds about an expert (accounts/personal_data.py), registered at start-up:
the profile, the pledges, the reviews with their scores and comments, the conflicts."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import Person, register
from reviews.models import Conflict, ExpertProfile, Pledge, Review, Score


def profiles(person: Person) -> list[dict]:
    found = (
        ExpertProfile.objects.filter(user__in=person.account_ids)
        .select_related("affiliation")
        .prefetch_related("fields")
        .order_by("pk")
    )
    return [
        {
            "account": profile.user_id,
            "affiliation": profile.affiliation.name if profile.affiliation_id else None,
            "institution": profile.institution,
            "inside_province": profile.inside_province,
            "fields": [f.name for f in profile.fields.all()],
            "expertise_keywords": profile.expertise_keywords,
            "max_cases_per_round": profile.max_cases_per_round,
        }
        for profile in found
    ]


def reviews(person: Person) -> list[dict]:
    found = (
        Review.objects.filter(assignment__expert__in=person.account_ids)
        .select_related("assignment__case", "assignment__round__campaign", "recommended_tier")
        .prefetch_related(
            Prefetch("scores", queryset=Score.objects.select_related("criterion").order_by("pk"))
        )
        .order_by("pk")
    )
    return [
        {
            "campaign": review.assignment.round.campaign.year,
            "round": review.assignment.round.name,
            "case": review.assignment.case_id,
            "case_title": review.assignment.case.title,
            "status": review.status,
            "total": review.total,
            "recommended_tier": review.recommended_tier.name if review.recommended_tier else None,
            "overall_comment": review.overall_comment,
            "submitted_at": review.submitted_at,
            "scores": [
                {"criterion": s.criterion.name, "value": s.value, "comment": s.comment}
                for s in review.scores.all()
            ],
        }
        for review in found
    ]


def pledges(person: Person) -> list[dict]:
    found = Pledge.objects.filter(expert__in=person.account_ids).select_related("round__campaign")
    return [
        {
            "campaign": pledge.round.campaign.year,
            "round": pledge.round.name,
            "accepted_at": pledge.accepted_at,
        }
        for pledge in found.order_by("pk")
    ]


def conflicts(person: Person) -> list[dict]:
    found = Conflict.objects.filter(expert__in=person.account_ids).select_related("case")
    return [
        {
            "case": conflict.case_id,
            "case_title": conflict.case.title,
            "source": conflict.source,
            "reason": conflict.reason,
            "at": conflict.at,
        }
        for conflict in found.order_by("pk")
    ]


def register_all() -> None:
    register("expert_profiles", profiles, _("专家信息"))
    register("reviews", reviews, _("评审意见和得分"))
    register("review_pledges", pledges, _("评审承诺"))
    register("conflicts", conflicts, _("回避记录"))
