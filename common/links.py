"""Absolute links for messages read outside the site (e-mails): SITE_URL plus a path."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`settings.SITE_URL` without its trailing slash, followed by `path` (e.g. from reverse())."""
    return settings.SITE_URL.rstrip("/") + path
