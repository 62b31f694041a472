"""/healthz: is this node fit to serve? Database, cache, broker and object store.

A load balancer probes `GET /healthz` (or HEAD) with the node's address as Host and plain
HTTP. `HealthProbeMiddleware` sits near the top of MIDDLEWARE and answers that request before
SecurityMiddleware (HTTPS redirect), CommonMiddleware (ALLOWED_HOSTS) and the session, so
the probe needs no allowed Host, sets no cookie and writes nothing to the database (the
cache check overwrites one key per process, the store check writes nothing). The answer reveals
nothing: `200 ok` or `503 unavailable`, text/plain, `Cache-Control: no-store`. It never uses
the Host (no absolute URL is built), so skipping host validation poisons nothing.

`/healthz?detail=1` is not answered early: it goes through the whole stack to `healthz_view`,
which shows each check's name, status and time to a signed-in administrator (text/plain,
never an exception's text, which may hold a host or a password) and the plain answer to
anyone else. Each failed check logs one warning with its name and the exception's class.

Every check runs in a daemon thread of its own and all share one deadline
(`DEADLINE_SECONDS`): a dependency that accepts connections and never answers makes the
probe say "unavailable" on time instead of hanging the worker. A check still stuck from an
earlier probe is not started again (it counts as failed), so a dead server costs at most
one stuck thread per check; the clients' own timeouts (`CLIENT_TIMEOUT_SECONDS`) free them
where the client has one. Results are reused for `MEMO_SECONDS`, so a flood of probes costs
each process at most one round of checks per second.

django-health-check (not in INSTALLED_APPS: nothing of it is needed but its classes) gives
the check interface and the database check. Its view is not used: it answers 500 with every
error's text to anyone, and it runs sync checks in an event loop's executor, whose threads a
hung client keeps and the process then waits for when it exits.
"""

import dataclasses
import logging
import os
import socket
import threading
import time
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.http import HttpResponse
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

logger = logging.getLogger(__name__)

PATH = "/healthz"
DETAIL_PARAMETER = "detail"
DEADLINE_SECONDS = 2.0  # all checks together; the probe answers a little after this
CLIENT_TIMEOUT_SECONDS = 1.0  # a client's own timeout, so it gives up before the deadline
MEMO_SECONDS = 1.0
HEALTHY_BODY = "ok"
UNHEALTHY_BODY = "unavailable"
TIMED_OUT = "timeout"
# The broker that is no server: tasks run in process (config/settings/broker.py).
IN_PROCESS_BROKER_SCHEMES = ("memory",)


@dataclasses.dataclass
class CacheRoundTrip(HealthCheck):
    """The default cache stores a value and gives it back.

    One key per process (host and pid), overwritten by each probe and expiring on its own,
    so probes add no keys; the check lock keeps a process's probes from racing on it.
    """

    alias: str = "default"

    def run(self):
        key = f"healthz:{socket.gethostname()}:{os.getpid()}"
        token = f"{time.time_ns()}"
        cache = caches[self.alias]
        cache.set(key, token, timeout=30)
        if cache.get(key) != token:
            raise ServiceUnavailable("the cache did not return the value just stored")


@dataclasses.dataclass
class Broker(HealthCheck):
    """A short connection to the Celery broker (for Redis, kombu's channel sends a PING).

    Without a broker (memory://) tasks run in process and there is nothing to reach. A real
    broker URL is checked even when tasks are eager: it is configured, so it is meant to work.
    """

    def run(self):
        from kombu import Connection  # only when there is a broker to reach

        url = settings.CELERY_BROKER_URL
        if urlsplit(url).scheme.lower() in IN_PROCESS_BROKER_SCHEMES:
            return
        options = {
            **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
            "socket_connect_timeout": CLIENT_TIMEOUT_SECONDS,
            "socket_timeout": CLIENT_TIMEOUT_SECONDS,
            "max_retries": 0,
        }
        ssl = getattr(settings, "CELERY_BROKER_USE_SSL", None) or False
        with Connection(
            url, connect_timeout=CLIENT_TIMEOUT_SECONDS, transport_options=options, ssl=ssl
        ) as connection:
            connection.ensure_connection(max_retries=0)


# One S3 client per storage object, with short timeouts and no retries (the storage's own
# client keeps its patient ones for real uploads).
_probe_clients = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class ObjectStore(HealthCheck):
    """The default storage can take files, without writing one on every probe.

    S3: HeadBucket (the bucket exists and our keys may list it: s3:ListBucket). A local
    folder: it, or the nearest folder above it that exists (Django creates the rest on the
    first upload), is a writable directory. Any other backend: `exists()` on a fixed name.
    """

    alias: str = "default"

    def run(self):
        storage = storages[self.alias]
        if hasattr(storage, "bucket_name") and hasattr(storage, "_create_session"):
            self._head_bucket(storage)
        elif isinstance(storage, FileSystemStorage):
            self._writable_folder(Path(storage.location))
        else:
            storage.exists("healthz-probe")

    @staticmethod
    def _head_bucket(storage):
        from botocore.config import Config

        client = _probe_clients.get(storage)
        if client is None:
            patience = Config(
                connect_timeout=CLIENT_TIMEOUT_SECONDS,
                read_timeout=CLIENT_TIMEOUT_SECONDS,
                retries={"total_max_attempts": 1},
            )
            # The storage's own session and endpoint (django-storages builds its
            # unsigned client the same way), with the probe's short timeouts.
            client = storage._create_session().client(
                "s3",
                region_name=storage.region_name,
                use_ssl=storage.use_ssl,
                endpoint_url=storage.endpoint_url,
                config=storage.client_config.merge(patience),
                verify=storage.verify,
            )
            _probe_clients[storage] = client
        client.head_bucket(Bucket=storage.bucket_name)

    @staticmethod
    def _writable_folder(location: Path):
        folder = location
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise ServiceUnavailable("the media location is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ServiceUnavailable("the media folder is not writable")


# The name shown in the detail and the log → the check (django-health-check's interface:
# `run()` raises when unhealthy; its own async runner and timeouts are not used).
CHECKS = {
    "database": Database,
    "cache": CacheRoundTrip,
    "broker": Broker,
    "storage": ObjectStore,
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    name: str
    healthy: bool
    reason: str  # "ok", "timeout" or an exception's class name: never its text
    seconds: float


def _reason(exc: BaseException) -> str:
    # The library wraps the real error (OperationalError, ConnectionError…) in its own.
    if isinstance(exc, HealthCheckException) and exc.__cause__ is not None:
        exc = exc.__cause__
    return type(exc).__name__


def _run_one(name: str, check: HealthCheck, slot: dict):
    started = time.monotonic()
    try:
        check.run()
    except Exception as exc:  # whatever the client raises, the node is not fit
        slot["outcome"] = Outcome(name, False, _reason(exc), time.monotonic() - started)
    else:
        slot["outcome"] = Outcome(name, True, "ok", time.monotonic() - started)
    finally:
        if name == "database":
            # This thread's own connection: Database closes what it opened, this is a net.
            from django.db import connections

            connections.close_all()


_lock = threading.Lock()
_in_flight: dict[str, threading.Thread] = {}
_memo: tuple[float, list[Outcome]] | None = None


def forget():
    """Drop the remembered results (tests, and after a deployment changes settings)."""
    global _memo
    _memo = None


def run_checks(*, fresh: bool = False) -> list[Outcome]:
    """Every check's outcome within DEADLINE_SECONDS; each failure logged once."""
    global _memo
    with _lock:
        now = time.monotonic()
        if not fresh and _memo is not None and now - _memo[0] < MEMO_SECONDS:
            return _memo[1]
        slots = {}
        for name, build in CHECKS.items():
            running = _in_flight.get(name)
            if running is not None and running.is_alive():
                continue  # still stuck since an earlier probe: no second thread
            slots[name] = {}
            thread = threading.Thread(
                target=_run_one, args=(name, build(), slots[name]), daemon=True
            )
            thread.name = f"healthz-{name}"
            _in_flight[name] = thread
            thread.start()
        deadline = now + DEADLINE_SECONDS
        outcomes = []
        for name in CHECKS:
            if name in slots:
                _in_flight[name].join(max(0.0, deadline - time.monotonic()))
            outcome = slots.get(name, {}).get("outcome")
            if outcome is None:
                outcome = Outcome(name, False, TIMED_OUT, time.monotonic() - now)
            if not outcome.healthy:
                logger.warning("Health check %s failed: %s", name, outcome.reason)
            outcomes.append(outcome)
        _memo = (time.monotonic(), outcomes)
        return outcomes


def _plain(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    # Answered before SecurityMiddleware, which would otherwise add this.
    response["X-Content-Type-Options"] = "nosniff"
    return response


def plain_answer(outcomes: list[Outcome]) -> HttpResponse:
    if all(outcome.healthy for outcome in outcomes):
        return _plain(HEALTHY_BODY, 200)
    return _plain(UNHEALTHY_BODY, 503)


def detailed_answer(outcomes: list[Outcome]) -> HttpResponse:
    healthy = all(outcome.healthy for outcome in outcomes)
    lines = [HEALTHY_BODY if healthy else UNHEALTHY_BODY]
    lines += [
        f"{outcome.name}: {'ok' if outcome.healthy else 'failed'} ({outcome.reason}, "
        f"{outcome.seconds * 1000:.0f} ms)"
        for outcome in outcomes
    ]
    return _plain("\n".join(lines) + "\n", 200 if healthy else 503)


def _method_not_allowed() -> HttpResponse:
    response = _plain("", 405)
    response["Allow"] = "GET, HEAD"
    return response


class HealthProbeMiddleware:
    """Answer the probe (`/healthz` without `?detail`) before anything else looks at it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != PATH or DETAIL_PARAMETER in request.GET:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed()
        return plain_answer(run_checks())


@require_safe
def healthz_view(request):
    """`/healthz?detail=1`: each check for an administrator, the plain answer for others."""
    user = request.user
    if user.is_authenticated and getattr(user, "is_administrator", False):
        return detailed_answer(run_checks(fresh=True))
    return plain_answer(run_checks())
