from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_all_read, name="mark-all-read"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/resend/", views.outbox_resend, name="outbox-resend"),
]
