"""/manage/accounts/ and /manage/organisations/: the office's accounts and units."""

from django.urls import path

from accounts.views import office as views
from accounts.views import organisations, personal_data

urlpatterns = [
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/import/", views.account_import, name="account-import"),
    path("accounts/import/apply/", views.account_import_apply, name="account-import-apply"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/active/", views.account_set_active, name="account-set-active"),
    path("accounts/<int:pk>/move/", views.account_move, name="account-move"),
    path("accounts/<int:pk>/invite/", views.account_invite, name="account-invite"),
    path("personal-data/", personal_data.personal_data, name="personal-data"),
    path("organisations/", organisations.organisation_list, name="organisations"),
    path("organisations/new/", organisations.organisation_create, name="organisation-create"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation-detail"),
    path(
        "organisations/<int:pk>/delete/",
        organisations.organisation_delete,
        name="organisation-delete",
    ),
]
