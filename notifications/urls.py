"""/notifications/: everyone's inbox; the outbox pages are the office's."""

from django.urls import path

from notifications.views import office, signed_in

app_name = "notifications"

urlpatterns = [
    path("", signed_in.inbox, name="inbox"),
    path("read/", signed_in.mark_all_read, name="mark-all-read"),
    path("outbox/", office.outbox, name="outbox"),
    path("outbox/resend/", office.outbox_resend, name="outbox-resend"),
]
