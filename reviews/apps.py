from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def assigned_case_ids(user):
    from reviews.models import Assignment, AssignmentStatus

    return Assignment.objects.filter(expert=user, status=AssignmentStatus.CONFIRMED).values(
        "case_id"
    )


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("专家评审")

    def ready(self):
        # Experts may open the cases assigned to them; reform_cases asks through this rule.
        from reform_cases.access import register_expert_rule

        register_expert_rule(assigned_case_ids)
        # The formal-check page lists the experts a case's co-implementing units exclude.
        from reform_cases.submission.selectors import register_co_organisation_conflicts
        from reviews.assignment.conflicts import co_organisation_conflicts

        register_co_organisation_conflicts(co_organisation_conflicts)
        # Experts take watermarked, logged copies of PDF attachments from the shared download.
        from reviews.documents.services import register_copy_maker

        register_copy_maker()
        # The scoring page's criteria and tiers are cached until one of them changes.
        from django.db.models.signals import post_delete, post_save

        from reform_cases.models import Tier
        from reviews.models import Criterion
        from reviews.scoring.selectors import forget_rubric

        for model in (Criterion, Tier):
            post_save.connect(forget_rubric, sender=model, dispatch_uid=f"rubric-saved-{model}")
            post_delete.connect(forget_rubric, sender=model, dispatch_uid=f"rubric-del-{model}")
        # Named rules are registered on import, so that templates can test them by name.
        # What the audit chain covers (the chain itself knows no app).
        from reviews import audit_records
        from reviews.assignment import rules as _assignment_rules  # noqa: F401
        from reviews.panels import rules as _panel_rules  # noqa: F401
        from reviews.ranking import rules as _ranking_rules  # noqa: F401
        from reviews.rounds import rules as _round_rules  # noqa: F401

        audit_records.register()
        # The results manifest carries the ranking's configuration, overrides and raw scores.
        from reform_cases.publication.manifest import register_section
        from reviews.ranking.manifest import ranking_section

        register_section(ranking_section)
        # A refitted text model makes every expert vector stale: recompute them all (a task).
        from case_text.signals import model_refitted
        from reviews.panels.expert_vectors import on_model_refitted

        model_refitted.connect(on_model_refitted, dispatch_uid="reviews-expert-vectors")
        # What a person's data export (accounts/personal_data.py) finds here.
        from reviews import personal_data

        personal_data.register_all()
