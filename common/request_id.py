"""One id per request, in every log line it causes, the worker's included.

nginx sends `X-Request-ID` ($request_id, 32 hex digits) and writes it in its access log;
`RequestIdMiddleware` keeps it (or makes one when the header is missing or not a sane
token: a forged header must not smuggle a newline or a kilobyte into our logs), echoes it
in the response's `X-Request-ID` and holds it in a contextvar for the request.
`RequestIdFilter` copies it onto every log record ("-" outside a request), so the console
format can show it.

Celery: a task enqueued during a request carries the id in its message headers
(`before_task_publish`); the worker sets the contextvar while the task runs
(`task_prerun` / `task_postrun`), so its log lines carry the same id. An eager task runs
inside the request and keeps the id it already has. `connect_celery_signals` is called by
config/celery.py; the worker's own log handlers get the filter there too.
"""

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # the name in a task message's headers
NO_REQUEST = "-"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request (or task) being served, "-" outside one."""
    return _current.get()


def sane_or_new(value: str | None) -> str:
    """`value` if it is a plain token of 1–64 characters, else a new uuid4 hex."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Placed first, so that every later middleware's log lines carry the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane_or_new(request.headers.get(HEADER))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record, for the formatters' %(request_id)s."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx ("Not Found: …") after the middleware has returned, outside the
        # contextvar's scope, but attaches the request to that record.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or _current.get()
        return True


# Celery ---------------------------------------------------------------------------------


def _attach_to_task(headers=None, **kwargs):
    request_id = _current.get()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault(TASK_HEADER, request_id)


def _task_request_id(task) -> str | None:
    request = task.request
    # A worker puts a message's headers on the request itself; `apply(headers=…)` keeps
    # them in `request.headers`.
    value = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
    return value if value and _SANE.fullmatch(value) else None


# task id → the token that puts the contextvar back once the task has run
_task_tokens = {}


def _enter_task(task_id=None, task=None, **kwargs):
    request_id = _task_request_id(task) if task is not None else None
    if request_id is not None:  # without one an eager task keeps the request's own id
        _task_tokens[task_id] = _current.set(request_id)


def _leave_task(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)


def _filter_worker_handlers(logger=None, **kwargs):
    # A worker replaces the root logger's handlers with its own: give them the filter, or
    # a format naming %(request_id)s would fail on every record.
    for handler in getattr(logger, "handlers", ()):
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def connect_celery_signals():
    """Wire the id through Celery (idempotent: receivers are connected by reference)."""
    from celery import signals

    signals.before_task_publish.connect(_attach_to_task, weak=False)
    signals.task_prerun.connect(_enter_task, weak=False)
    signals.task_postrun.connect(_leave_task, weak=False)
    signals.after_setup_logger.connect(_filter_worker_handlers, weak=False)
    signals.after_setup_task_logger.connect(_filter_worker_handlers, weak=False)
