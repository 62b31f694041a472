from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseTextConfig(AppConfig):
    name = "case_text"
    verbose_name = _("案例文本分析")

    def ready(self):
        # reform_cases announces a submission by a signal; it must not import this app.
        from case_text import receivers

        receivers.connect()

        # The formal-check page shows the cases a submission resembles (重复申报).
        from case_text.resubmission.panel import resemblance_panel
        from reform_cases.submission.selectors import register_formal_check_panel

        register_formal_check_panel(resemblance_panel)
