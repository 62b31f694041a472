from django.contrib import admin
from django.core.exceptions import PermissionDenied

from common.admin import RecordAdmin, RecordInline
from reviews.models import (
    Assignment,
    Conflict,
    Criterion,
    ExpertProfile,
    Panel,
    Pledge,
    Review,
    ReviewEvent,
    ReviewRound,
    RoundEvent,
    Score,
    TierOverride,
)
from reviews.rounds.services import rubric_locked


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "affiliation", "institution", "inside_province", "max_cases_per_round")
    list_filter = ("inside_province",)
    search_fields = ("user__display_name", "user__username", "institution", "affiliation__name")
    list_select_related = ("user", "affiliation")


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "chair")
    list_filter = ("campaign",)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """The rubric is locked once any score exists, here as on the rubric page."""

    list_display = ("name", "campaign", "max_score", "weight", "order")
    list_filter = ("campaign",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and rubric_locked(obj.campaign):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and rubric_locked(obj.campaign):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if rubric_locked(obj.campaign):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "campaign",
        "order",
        "opens_at",
        "closes_at",
        "reviewers_per_case",
        "blind",
    )
    list_filter = ("campaign",)
    filter_horizontal = ("cases", "panels")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Read-only: assignments change through the assignment pages (conflict checks)."""

    list_display = ("round", "case", "expert", "status", "confirmed_at")
    list_filter = ("round", "status")
    search_fields = ("case__title", "expert__display_name")
    list_select_related = ("round", "case", "expert")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ScoreInline(RecordInline):
    model = Score
    fields = readonly_fields = ("criterion", "value", "comment")


class ReviewEventInline(RecordInline):
    model = ReviewEvent
    fields = readonly_fields = ("kind", "actor", "note", "at")


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    """Read-only: scores change only through the expert's page and recorded reopenings."""

    list_display = ("assignment", "status", "total", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("assignment__expert", "assignment__case")
    inlines = [ScoreInline, ReviewEventInline]


@admin.register(ReviewEvent)
class ReviewEventAdmin(RecordAdmin):
    list_display = ("at", "review", "kind", "actor", "note")
    list_filter = ("kind",)
    list_select_related = ("review__assignment__expert", "review__assignment__case", "actor")


@admin.register(TierOverride)
class TierOverrideAdmin(RecordAdmin):
    list_display = ("at", "entry", "old_tier", "new_tier", "actor", "reason")
    list_filter = ("entry__round",)
    search_fields = ("entry__case__title", "reason")
    list_select_related = ("entry__round__campaign", "entry__case", "old_tier", "new_tier", "actor")


@admin.register(RoundEvent)
class RoundEventAdmin(RecordAdmin):
    """What the office did to a round's assignment and ranking; written by the services."""

    list_display = ("at", "round", "kind", "actor", "note")
    list_filter = ("kind", "round")
    search_fields = ("note",)
    list_select_related = ("round__campaign", "actor")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services (conflicts release assignments; pledges carry their time)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ("expert", "case", "source", "at")
    list_filter = ("source",)


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ("expert", "round", "accepted_at")
