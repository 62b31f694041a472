"""The preview-then-apply step shared by every upload import (results, accounts, experts).

The parsed rows wait in the session under a one-time token between the preview
and the confirmation; applying checks everything again, since the database may
have changed in between.
"""

import secrets
from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import render

from common.tabular import TableFileError


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


def upload_step(
    request,
    form,
    *,
    key: str,
    read: Callable,
    preview: Callable,
    template: str,
    context: dict | None = None,
) -> HttpResponse:
    """The first step of an import: the upload form, or the preview of a readable file.

    `read(data, filename)` returns the numbered rows or raises TableFileError (shown on the
    file field); `preview(request, rows, filename, token)` renders the checked plan.
    """
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read(upload.read(), upload.name)
        except TableFileError as exc:
            form.add_error("file", str(exc))
        else:
            token = stash(request, key, rows, upload.name)
            return preview(request, rows, upload.name, token)
    return render(request, template, {"form": form, **(context or {})})
