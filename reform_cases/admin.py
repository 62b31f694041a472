"""Django admin for administrators.

Status, outcome and tier change only through services (submission workflow,
publication, corrections), so they are read-only here.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import RecordAdmin, RecordInline
from reform_cases.models import (
    Campaign,
    CampaignEvent,
    CampaignStatusChange,
    Case,
    CaseEvent,
    Correction,
    Field,
    Objection,
    Tier,
)
from reform_cases.publication.public_names import field_public_campaigns


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("year", "title", "status", "is_demo", "announced_on", "published_at")
    list_filter = ("status", "is_demo")
    search_fields = ("title", "year")
    readonly_fields = ("status", "published_at")
    inlines = [TierInline]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "order")
    search_fields = ("name", "name_en")

    def get_readonly_fields(self, request, obj=None):
        # A field named by public results keeps its name (reform_cases/fields/services.py).
        return ("name",) if obj is not None and field_public_campaigns(obj) else ()


class CaseEventInline(RecordInline):
    model = CaseEvent
    fields = readonly_fields = ("kind", "actor", "note", "at")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "campaign",
        "organisation",
        "region",
        "field",
        "status",
        "outcome",
        "tier",
    )
    list_filter = ("campaign", "status", "outcome", "tier", "field", "region")
    search_fields = ("title", "organisation__name", "summary")
    list_select_related = ("campaign", "organisation", "region", "field", "tier")
    autocomplete_fields = ("organisation", "co_organisations", "region")
    readonly_fields = ("status", "outcome", "tier", "rank", "final_score", "is_historical")
    inlines = [CaseEventInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A public case's facts change through the correction service only.
        if obj is not None and obj.is_public:
            fields += [
                "title",
                "campaign",
                "organisation",
                "co_organisations",
                "region",
                "field",
                "summary",
                "evidence",
            ]
        return fields


@admin.register(Correction)
class CorrectionAdmin(RecordAdmin):
    list_display = ("at", "case", "field_name", "old_value", "new_value", "actor")
    list_filter = ("campaign",)
    search_fields = ("case__title", "reason")
    list_select_related = ("case", "actor")


@admin.register(CaseEvent)
class CaseEventAdmin(RecordAdmin):
    list_display = ("at", "case", "kind", "actor", "note")
    list_filter = ("kind", "case__campaign")
    search_fields = ("case__title", "note")
    list_select_related = ("case", "actor")


@admin.register(CampaignStatusChange)
class CampaignStatusChangeAdmin(RecordAdmin):
    list_display = ("at", "campaign", "from_status", "to_status", "actor", "note")
    list_filter = ("campaign",)
    list_select_related = ("campaign", "actor")


@admin.register(CampaignEvent)
class CampaignEventAdmin(RecordAdmin):
    list_display = ("at", "campaign", "kind", "actor", "note")
    list_filter = ("campaign", "kind")
    list_select_related = ("campaign", "actor")


@admin.register(Objection)
class ObjectionAdmin(RecordAdmin):
    """Objections are answered on the publication pages; here they are only read."""

    list_display = ("created_at", "campaign", "case", "name", "status", "answered_at")
    list_filter = ("campaign", "status")
    search_fields = ("name", "text", "case__title")
    list_select_related = ("campaign", "case")
    # The admin would link the file by its storage URL (a presigned URL of the object store):
    # the file is offered through the download view instead (common/stored_files.py).
    exclude = ("file",)
    readonly_fields = ("file_link",)

    @admin.display(description=_("附件"))
    def file_link(self, obj):
        if not obj.file:
            return "—"
        url = reverse("manage:objection-file", kwargs={"pk": obj.pk})
        return format_html('<a href="{}">{}</a>', url, obj.file_name or _("下载"))
