from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self):
        # notify() and mark_read() forget the cached unread counts themselves; a row saved or
        # deleted one by one elsewhere (the admin, tests' factories) does it through these.
        from notifications.models import Notification

        post_save.connect(_forget_unread, sender=Notification, dispatch_uid="unread-saved")
        post_delete.connect(_forget_unread, sender=Notification, dispatch_uid="unread-deleted")


def _forget_unread(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and "read_at" not in update_fields:
        return  # delivery's own bookkeeping (claims, attempts): the count is unchanged
    from notifications.services import forget_unread_counts

    forget_unread_counts([instance.recipient_id])
