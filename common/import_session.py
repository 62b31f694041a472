"""The preview-then-apply step shared by every upload import (results, accounts, experts).

The parsed rows wait in the session under a one-time token between the preview
and the confirmation; applying checks everything again, since the database may
have changed in between.
"""

import secrets


def stash(request, key: str, rows, filename: str) -> str:
    token = secrets.token_urlsafe(16)
    request.session[key] = {"token": token, "filename": filename, "rows": rows}
    return token


def take(request, key: str):
    """The stashed upload whose token the form posted back, or None (expired, forged, used)."""
    stored = request.session.get(key)
    if not stored or stored.get("token") != request.POST.get("token"):
        return None
    stored["rows"] = [(line, row) for line, row in stored["rows"]]
    return stored


def discard(request, key: str) -> None:
    request.session.pop(key, None)
