from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户与单位")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="admin-idle-clock")
        # What the audit chain covers (the chain itself knows no app).
        from accounts import audit_records

        audit_records.register()
        # The invitation and reset links hold a token: minted at delivery, never stored.
        from accounts import secret_links

        secret_links.register()
