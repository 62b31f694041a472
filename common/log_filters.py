"""Logging filters shared by the settings (config/settings/base.py LOGGING)."""

import logging

# A page that does not exist or that the user may not open is the visitor's business, not a
# fault of the site: one warning line, no traceback.
CLIENT_ERROR_STATUSES = frozenset({403, 404})


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the traceback Django attaches to its "Not Found" / "Forbidden" warnings.

    Django logs each 403 and 404 once on `django.request`, at WARNING, with the Http404 or
    PermissionDenied as exc_info; the traceback says nothing the status and path do not. Put
    on the logger (not a handler), so every handler, test capture included, sees the short
    record. 5xx records keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in CLIENT_ERROR_STATUSES:
            record.exc_info = None
            record.exc_text = None
        return True
