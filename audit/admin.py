from django.contrib import admin

from audit.models import AuditRecord
from common.admin import RecordAdmin


@admin.register(AuditRecord)
class AuditRecordAdmin(RecordAdmin):
    list_display = ("seq", "recorded_at", "kind", "object_type", "object_id", "hash")
    list_filter = ("kind",)
    search_fields = ("object_id", "hash")
