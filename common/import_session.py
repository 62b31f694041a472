"""The preview-then-apply steps shared by every upload import (results, accounts, experts).

The parsed rows wait in the session under a one-time token between the preview
and the confirmation; applying checks everything again, since the database may
have changed in between.

An upload is applied once. The session cannot guarantee it: two requests that
carry the same session (a double click, two tabs, a resent form) both find the
token there before either has removed it. So `apply_step` also claims the token
in the database, in the import's own transaction (`claim`: an `AppliedImport`
row, unique by token). The second request's claim fails once the first commits
(PostgreSQL makes it wait for the first; SQLite runs one writing transaction at
a time), and it answers "already applied" without changing anything; if the
first rolls back, so does its claim.
"""

import secrets
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.models import AppliedImport
from common.tabular import TableFileError


class AlreadyApplied(Exception):
    """The upload of this token has been applied already (by this or a simultaneous request)."""


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


def claim(*, key: str, token: str, by) -> None:
    """Record, in the caller's transaction, that the upload of `token` is being applied.

    Raises AlreadyApplied when another transaction recorded it first. On PostgreSQL
    the INSERT of a token that an open transaction has inserted waits for it: it
    fails once that transaction commits and succeeds if it rolls back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() belongs inside the transaction that applies the import.")
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            AppliedImport.objects.create(kind=key, token=token, applied_by=by)
    except IntegrityError:
        raise AlreadyApplied from None


def was_applied(key: str, token: str) -> bool:
    return bool(token) and AppliedImport.objects.filter(kind=key, token=token).exists()


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


def apply_step(
    request,
    *,
    key: str,
    plan: Callable,
    apply: Callable,
    preview: Callable,
    done: Callable,
    upload_url: str,
) -> HttpResponse:
    """The second step of an import: apply the previewed upload, once.

    `plan(rows)` checks the rows again and returns a plan with `.ok`; `apply(plan, stored)`
    calls the import's service (a ValidationError it raises is shown with the preview
    again); `done(request, result)` says what was imported and redirects. A token that was applied
    already, by an earlier or a simultaneous request, changes nothing and says so; an
    unknown or expired one sends back to the upload page (`upload_url`).
    """
    token = request.POST.get("token", "")
    stored = take(request, key)
    if stored is None:
        if was_applied(key, token):
            return _already_applied(request, upload_url)
        messages.error(request, _("导入预览已过期,请重新上传文件。"))
        return redirect(upload_url)
    checked = plan(stored["rows"])
    if not checked.ok:
        if was_applied(key, token):  # by a simultaneous request, which made these rows taken
            discard(request, key)
            return _already_applied(request, upload_url)
        return preview(request, stored["rows"], stored["filename"], token)
    try:
        with transaction.atomic():
            claim(key=key, token=token, by=request.user)
            result = apply(checked, stored)
    except AlreadyApplied:
        discard(request, key)
        return _already_applied(request, upload_url)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return preview(request, stored["rows"], stored["filename"], token)
    discard(request, key)
    return done(request, result)


def _already_applied(request, upload_url: str) -> HttpResponse:
    messages.info(request, _("这次导入已经完成,没有重复导入。"))
    return redirect(upload_url)
