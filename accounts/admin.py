from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountEvent, Organisation, User
from accounts.organisations.public_use import public_use
from common.admin import RecordAdmin, RecordInline

DEACTIVATE_NOT_DELETE = _("账户不能删除,以保留其操作记录;不再使用的账户请取消“有效”,将其停用。")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "parent__name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)

    def get_readonly_fields(self, request, obj=None):
        # What public results show of a unit changes only through a recorded correction
        # (accounts/organisations/services.py refuses it likewise on the office's pages).
        return tuple(sorted(public_use(obj).attributes)) if obj is not None else ()


class AccountEventInline(RecordInline):
    model = AccountEvent
    fk_name = "user"
    fields = readonly_fields = ("kind", "actor", "note", "at")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts are deactivated, never deleted: their events, cases, assignments and
    reviews point at them (PROTECT), so the admin offers no delete view and no delete action."""

    list_display = ("username", "display_name", "email", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    fieldsets = (
        *(
            (name, {**options, "description": DEACTIVATE_NOT_DELETE})
            if "is_active" in options["fields"]
            else (name, options)
            for name, options in DjangoUserAdmin.fieldsets
        ),
        (_("角色与单位"), {"fields": ("role", "organisation", "display_name", "phone")}),
    )

    def get_inlines(self, request, obj):
        return [AccountEventInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountEvent)
class AccountEventAdmin(RecordAdmin):
    list_display = ("at", "user", "kind", "actor", "note")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__display_name", "user__email", "note")
    list_select_related = ("user", "actor")
