"""Date-times as people read them on pages, in messages and in e-mails: local time, to the minute."""

from django.utils import timezone

LOCAL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"


def local_datetime(value, *, if_none: str | None = None) -> str:
    """'2020-06-30 17:00' in the site's time zone (Asia/Shanghai).

    `if_none` is what an empty value gives (e.g. "—" or ""); without it, `value` must be
    an aware date-time.
    """
    if value is None and if_none is not None:
        return if_none
    return timezone.localtime(value).strftime(LOCAL_DATETIME_FORMAT)
