"""/healthz: the load balancer's probe (common/health.py).

Each dependency is broken for real — a database name that does not open, a Redis port
nobody listens on, a media folder under a file, a bucket that does not exist — and a
hanging dependency is a socket that accepts connections and never answers. On the
PostgreSQL + Redis pass the healthy cache and broker checks reach the real Redis.
"""

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing

import boto3
import pytest
from django.conf import settings as django_settings
from django.db import connections
from moto import mock_aws

from common import health

HEALTH_LOGGER = "common.health"
FOREIGN_HOST = "10.20.30.40"  # a node's address, in no ALLOWED_HOSTS
BUCKET = "healthz-bucket"


@pytest.fixture(autouse=True)
def _fresh_results():
    health.forget()
    yield
    health.forget()


def closed_port():
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hanging_port():
    """A port whose connections are accepted (by the kernel) and never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()  # the probe's stuck clients get a reset and their threads end …
    for thread in threading.enumerate():
        if thread.name.startswith("healthz-"):
            thread.join(timeout=5)  # … before the next test probes


def redis_cache_at(port):
    return {
        "default": {
            "BACKEND": "common.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


def s3_storages(settings, **options):
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "access_key": "probe-key",
                "secret_key": "probe-secret",
                "region_name": "us-east-1",
                **options,
            },
        },
    }


def probe(client, **extra):
    return client.get("/healthz", HTTP_HOST=FOREIGN_HOST, **extra)


def assert_unavailable(r):
    assert r.status_code == 503
    assert r.content == b"unavailable"  # no detail, no host, no port
    assert r["Content-Type"].startswith("text/plain")
    assert r["Cache-Control"] == "no-store"


def health_warnings(caplog):
    return [r for r in caplog.records if r.name == HEALTH_LOGGER and r.levelno == logging.WARNING]


def test_a_healthy_node_answers_ok_to_any_host_without_session_or_query(
    db, client, django_assert_num_queries
):
    with django_assert_num_queries(
        0
    ):  # no session, no throttle row: the check has its own connection
        r = probe(client)

    assert r.status_code == 200
    assert r.content == b"ok"
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert r["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in r.headers and not r.cookies
    assert "Vary" not in r.headers  # answered before the language and session middleware


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and os.environ.get("REQUIRE_WORKER") != "1",
    reason="REDIS_URL is not set: the cache and broker are in process",
)
def test_on_redis_the_cache_and_broker_checks_reach_the_server(db, client, settings):
    import redis
    from django.core.cache import cache

    assert settings.CELERY_BROKER_URL.startswith("redis"), "REQUIRE_WORKER=1 needs REDIS_URL"
    server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connections_before = server.info("stats")["total_connections_received"]

    assert probe(client).status_code == 200

    # The broker check opened a connection of its own; the cache check left its one key.
    assert server.info("stats")["total_connections_received"] > connections_before
    assert cache.get(f"healthz:{socket.gethostname()}:{os.getpid()}") is not None


def test_head_answers_like_get(db, client):
    r = client.head("/healthz", HTTP_HOST=FOREIGN_HOST)
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"


def test_other_methods_are_refused_without_a_csrf_or_host_error(db, client):
    r = client.post("/healthz", HTTP_HOST=FOREIGN_HOST)
    assert r.status_code == 405
    assert r["Allow"] == "GET, HEAD"


def test_a_database_that_does_not_open_makes_it_unavailable(db, client, monkeypatch, caplog):
    # New connections (the check opens its own, in its thread) read these settings.
    unopenable = "/nonexistent-healthz/db.sqlite3"
    if connections["default"].vendor == "postgresql":
        unopenable = "no_such_database_healthz"
    monkeypatch.setitem(connections.settings["default"], "NAME", unopenable)

    assert_unavailable(probe(client))
    [warning] = health_warnings(caplog)
    assert "database" in warning.getMessage()
    assert "nonexistent" not in warning.getMessage() and "no_such" not in warning.getMessage()


def test_an_unreachable_cache_makes_it_unavailable(db, client, settings, caplog):
    port = closed_port()
    settings.CACHES = redis_cache_at(port)

    assert_unavailable(probe(client))
    [warning] = health_warnings(caplog)
    assert warning.getMessage() == "Health check cache failed: ConnectionError"


def test_an_unreachable_broker_makes_it_unavailable(db, client, settings, caplog):
    settings.CELERY_BROKER_URL = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"

    assert_unavailable(probe(client))
    [warning] = health_warnings(caplog)
    assert warning.getMessage() == "Health check broker failed: OperationalError"


def test_an_in_process_broker_counts_as_healthy(db, client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    assert probe(client).status_code == 200


def test_a_media_folder_that_cannot_be_written_makes_it_unavailable(
    db, client, settings, tmp_path, caplog
):
    (tmp_path / "a-file").write_text("not a folder")
    settings.MEDIA_ROOT = str(tmp_path / "a-file" / "media")

    assert_unavailable(probe(client))
    [warning] = health_warnings(caplog)
    assert warning.getMessage() == "Health check storage failed: ServiceUnavailable"


def test_a_media_folder_not_created_yet_is_fine_when_its_parent_is_writable(
    db, client, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media" / "not-yet")
    assert probe(client).status_code == 200
    assert not (tmp_path / "media").exists()  # the probe wrote nothing


@pytest.mark.engine_neutral  # an S3 stand-in in process
@mock_aws
def test_an_s3_store_is_checked_by_its_bucket(db, client, settings):
    settings.STORAGES = s3_storages(settings)
    assert_unavailable(probe(client))  # the bucket does not exist yet

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    health.forget()
    assert probe(client).status_code == 200
    objects = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET)
    assert objects["KeyCount"] == 0  # nothing written by the probe


def test_hanging_dependencies_are_given_up_on_within_three_seconds(
    db, client, settings, hanging_port, caplog
):
    settings.CACHES = redis_cache_at(hanging_port)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hanging_port}/0"
    settings.STORAGES = s3_storages(settings, endpoint_url=f"http://127.0.0.1:{hanging_port}")

    started = time.monotonic()
    assert_unavailable(probe(client))
    assert time.monotonic() - started < 3.0
    failed = {r.getMessage() for r in health_warnings(caplog)}
    assert "Health check cache failed: timeout" in failed  # Django's Redis client never gives up
    assert {m.split()[2] for m in failed} == {"cache", "broker", "storage"}

    # A second probe starts no second thread for a check still stuck from the first.
    health.forget()
    started = time.monotonic()
    assert_unavailable(probe(client))
    assert time.monotonic() - started < 3.0
    stuck = [t for t in threading.enumerate() if t.name == "healthz-cache"]
    assert len(stuck) == 1


def test_results_are_reused_for_a_second_then_checked_again(db, client, settings):
    assert probe(client).status_code == 200
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    assert probe(client).status_code == 200  # within MEMO_SECONDS: the last answer
    time.sleep(health.MEMO_SECONDS)
    assert probe(client).status_code == 503


def test_an_administrator_sees_each_check_without_error_text(client_for, settings):
    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://:s3cret@127.0.0.1:{port}/0"

    r = client_for("administrator").get("/healthz?detail=1")

    assert r.status_code == 503
    body = r.content.decode()
    lines = body.splitlines()
    assert lines[0] == "unavailable"
    assert lines[1].startswith("database: ok (ok, ")
    assert lines[2].startswith("cache: ok (ok, ")
    assert lines[3].startswith("broker: failed (OperationalError, ")
    assert lines[4].startswith("storage: ok (ok, ")
    assert str(port) not in body and "127.0.0.1" not in body and "s3cret" not in body
    assert r["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["anonymous", "locality", "expert", "deactivated"])
def test_anyone_else_asking_for_detail_gets_the_plain_answer(client_for, role):
    r = client_for(role).get("/healthz?detail=1")
    assert r.status_code == 200
    assert r.content == b"ok"


@pytest.mark.engine_neutral  # a process of its own on its own SQLite file
def test_production_settings_answer_a_plain_http_probe_by_ip(tmp_path):
    """Production: HTTPS redirect on, one allowed host; the probe is neither 301 nor 400."""
    script = """
from django.test import Client
c = Client(raise_request_exception=False)
for path, host in (("/healthz", "10.0.0.7"), ("/healthz", "awards.example.org"),
                   ("/results/", "10.0.0.7"), ("/results/", "awards.example.org")):
    r = c.get(path, HTTP_HOST=host)
    print(path, host, r.status_code, r.content.decode() if path == "/healthz" else "")
"""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "STORAGE_"))
        and k not in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DEBUG")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL="https://awards.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    r = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "/healthz 10.0.0.7 200 ok",
        "/healthz awards.example.org 200 ok",
        "/results/ 10.0.0.7 400 ",  # every other page still checks the Host …
        "/results/ awards.example.org 301 ",  # … and goes to HTTPS
    ]
