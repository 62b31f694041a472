"""Admin pieces every app uses."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """A record of the award (an event, a correction, a submitted review): shown, never
    added, changed or deleted here. Services write these rows and the database keeps them
    (their parents are PROTECT), so the admin offers no delete view and no delete action."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordInline(admin.TabularInline):
    """The same records listed on their parent's page, read-only."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
