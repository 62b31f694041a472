from django.contrib import admin
from django.core.exceptions import PermissionDenied

from reviews.models import (
    Assignment,
    Conflict,
    Criterion,
    ExpertProfile,
    Panel,
    Pledge,
    Review,
    ReviewRound,
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


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only: scores change only through the expert's page and recorded reopenings."""

    list_display = ("assignment", "status", "total", "submitted_at")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
