"""/accounts/: log-in (with its two-factor step), passwords, invitations and two-factor
log-in, for every user."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import signed_in as views

app_name = "accounts"

done = "signed_in/message_page.html"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name=done, extra_context={"message_key": "password_changed"}
        ),
        name="password_change_done",
    ),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name=done, extra_context={"message_key": "reset_sent"}
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=done, extra_context={"message_key": "reset_complete"}
        ),
        name="password_reset_complete",
    ),
    path("invitation/<uidb64>/<token>/", views.invitation, name="invitation"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path(
        "two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
]
