from django.urls import path

from . import manage_views

urlpatterns = [
    path("accounts/", manage_views.account_list, name="accounts"),
    path("accounts/new/", manage_views.account_create, name="account-create"),
    path("accounts/import/", manage_views.account_import, name="account-import"),
    path("accounts/import/apply/", manage_views.account_import_apply, name="account-import-apply"),
    path("accounts/<int:pk>/", manage_views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/active/", manage_views.account_set_active, name="account-set-active"),
    path("accounts/<int:pk>/move/", manage_views.account_move, name="account-move"),
    path("accounts/<int:pk>/invite/", manage_views.account_invite, name="account-invite"),
]
