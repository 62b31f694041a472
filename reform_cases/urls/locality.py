"""/cases/mine/ and /cases/new/: a locality's own cases."""

from django.urls import path

from reform_cases.views import locality as views

case_patterns = [
    path("mine/", views.my_cases, name="mine"),
    path("new/", views.case_new, name="new"),
    path("mine/<int:pk>/", views.case_mine_detail, name="mine-detail"),
    path("mine/<int:pk>/edit/", views.case_edit, name="edit"),
    path("mine/<int:pk>/autosave/", views.case_autosave, name="autosave"),
    path("mine/<int:pk>/submit/", views.case_submit, name="submit"),
    path(
        "mine/<int:pk>/application-form/",
        views.case_application_form,
        name="application-form",
    ),
    path("mine/<int:pk>/withdraw/", views.case_withdraw, name="withdraw"),
    path("mine/<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path(
        "mine/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_remove,
        name="attachment-remove",
    ),
]
