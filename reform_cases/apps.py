from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReformCasesConfig(AppConfig):
    name = "reform_cases"
    verbose_name = _("评选活动与案例")

    def ready(self):
        from reform_cases import signals

        signals.connect()
