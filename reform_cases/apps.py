from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReformCasesConfig(AppConfig):
    name = "reform_cases"
    verbose_name = _("评选活动与案例")

    def ready(self):
        # Named rules are registered on import, so that templates can test them by name.
        from reform_cases import signals
        from reform_cases.campaigns import rules as _campaign_rules  # noqa: F401
        from reform_cases.publication import rules as _publication_rules  # noqa: F401
        from reform_cases.submission import rules as _submission_rules  # noqa: F401

        signals.connect()
        # What the audit chain covers (the chain itself knows no app).
        from reform_cases import audit_records

        audit_records.register()
        # What a person's data export (accounts/personal_data.py) finds here.
        from reform_cases import personal_data

        personal_data.register_all()
        # Units named in public results are not renamed quietly (accounts/organisations/).
        from reform_cases.fields import rules as _field_rules  # noqa: F401
        from reform_cases.publication import public_names

        public_names.register()
