from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The tamper-evident chain of audit records: called by every app, calling none."""

    name = "audit"
    verbose_name = _("审计链")
