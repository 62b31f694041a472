from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteSetupConfig(AppConfig):
    """Fixtures, demo data and synthetic load: the one app that may depend on every other."""

    name = "site_setup"
    verbose_name = _("站点初始化")
