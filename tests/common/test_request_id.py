"""X-Request-ID: kept or made, echoed, in every log record and carried into Celery tasks."""

import logging
import re

import pytest
from celery.worker.request import Request
from django.http import HttpResponse
from django.test import RequestFactory
from kombu import Connection

from common.request_id import (
    HEADER,
    TASK_HEADER,
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
)
from config.celery import app as celery_app
from config.settings import base as base_settings

# Nothing here depends on the database engine: the SQLite pass runs it.
pytestmark = pytest.mark.engine_neutral

TASK_LOGGER = "tests.request_id_task"
NEW_ID = re.compile(r"[0-9a-f]{32}")
NGINX_ID = "9f86d081884c7d659a2feaa0c55ad015"


@celery_app.task(name="tests.log_request_id", ignore_result=True)
def log_request_id(text):
    logging.getLogger(TASK_LOGGER).warning("task says %s", text)


class Collect(logging.Handler):
    """A handler set up as the console's: the request-id filter, then the records kept."""

    def __init__(self):
        super().__init__()
        self.records = []
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def collected():
    handler = Collect()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(previous_level)


def call_through_middleware(view, **headers):
    request = RequestFactory().get("/anything/", **headers)
    return RequestIdMiddleware(view)(request)


def test_nginx_request_id_is_kept_and_echoed(client):
    r = client.get("/favicon.ico", HTTP_X_REQUEST_ID=NGINX_ID)
    assert r[HEADER] == NGINX_ID


def test_a_request_without_one_gets_a_new_id(client):
    first = client.get("/favicon.ico")[HEADER]
    second = client.get("/favicon.ico")[HEADER]
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "forged",
    ["a" * 65, "abc\nINFO forged line", "abc\r\nSet-Cookie: x=1", "has space", "日志", ""],
)
def test_a_forged_id_is_replaced(client, forged):
    r = client.get("/favicon.ico", HTTP_X_REQUEST_ID=forged)
    assert NEW_ID.fullmatch(r[HEADER])


@pytest.mark.parametrize("sane", ["a", "A-b_c.9", "x" * 64])
def test_a_sane_token_of_up_to_64_characters_is_kept(client, sane):
    assert client.get("/favicon.ico", HTTP_X_REQUEST_ID=sane)[HEADER] == sane


def test_the_health_probe_echoes_it_too(db, client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=NGINX_ID)[HEADER] == NGINX_ID


def test_log_records_during_a_request_carry_its_id_and_others_a_dash(db, client, collected):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID=NGINX_ID)  # django.request logs the 404
    logging.getLogger("tests").warning("outside any request")

    [not_found] = [r for r in collected if r.name == "django.request"]
    assert not_found.request_id == NGINX_ID
    [outside] = [r for r in collected if r.getMessage() == "outside any request"]
    assert outside.request_id == "-"
    assert current_request_id() == "-"


def test_the_console_format_shows_the_id():
    console = base_settings.LOGGING["handlers"]["console"]
    assert "request_id" in console["filters"]
    assert base_settings.LOGGING["filters"]["request_id"]["()"] == (
        "common.request_id.RequestIdFilter"
    )
    line_format = base_settings.LOGGING["formatters"][console["formatter"]]["format"]
    record = logging.LogRecord("reviews", logging.INFO, __file__, 1, "saved", None, None)
    RequestIdFilter().filter(record)
    assert logging.Formatter(line_format).format(record).endswith("INFO [-] reviews: saved")
    assert "%(request_id)s" in base_settings.CELERY_WORKER_LOG_FORMAT
    assert "%(request_id)s" in base_settings.CELERY_WORKER_TASK_LOG_FORMAT


@pytest.fixture
def broker():
    """Tasks published to an in-memory broker (not run), whatever the test settings say."""
    celery_app.conf.task_always_eager = False
    with Connection("memory://") as connection:
        queue = connection.SimpleQueue("celery")
        # The memory transport is one per process: drop what an earlier test left queued.
        queue.clear()
        yield connection, queue
        queue.clear()
        queue.close()
    celery_app.conf.task_always_eager = True


def publish_within_request(connection, **headers):
    def view(request):
        log_request_id.apply_async(("hello",), connection=connection)
        return HttpResponse()

    return call_through_middleware(view, **headers)


def test_a_task_enqueued_during_a_request_carries_its_id(broker):
    connection, queue = broker
    publish_within_request(connection, HTTP_X_REQUEST_ID=NGINX_ID)

    message = queue.get(timeout=1)
    assert message.headers[TASK_HEADER] == NGINX_ID


def test_a_task_enqueued_outside_a_request_carries_none(broker):
    connection, queue = broker
    log_request_id.apply_async(("hello",), connection=connection)

    message = queue.get(timeout=1)
    assert TASK_HEADER not in message.headers


def test_the_worker_logs_the_id_of_the_request_while_the_task_runs(broker, collected):
    connection, queue = broker
    publish_within_request(connection, HTTP_X_REQUEST_ID=NGINX_ID)
    message = queue.get(timeout=1)

    # What a worker does with a message it received (celery.worker.request.Request), in process.
    Request(message, app=celery_app).execute()

    [said] = [r for r in collected if r.name == TASK_LOGGER]
    assert said.request_id == NGINX_ID
    assert current_request_id() == "-"  # put back once the task has run


def test_an_eager_task_keeps_the_requests_id(collected):
    def view(request):
        log_request_id.delay("eager")  # CELERY_TASK_ALWAYS_EAGER in the test settings
        return HttpResponse()

    call_through_middleware(view, HTTP_X_REQUEST_ID=NGINX_ID)

    [said] = [r for r in collected if r.name == TASK_LOGGER]
    assert said.request_id == NGINX_ID
