"""A malformed broker URL stops the start; it is no longer a silent switch to eager tasks.

Settings are read once per process, so each case loads them in a subprocess with the
environment under test (as tests/config/test_settings.py does for production).
Unreachable but well-formed brokers are tests/notifications' business: rows stay pending.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_TIMEOUT]))"
)


def environment(**changes):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_TIMEOUT"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env.update(changes)
    return env


def run(args, **changes):
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment(**changes),
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded(**changes):
    r = run(["-c", SHOW], **changes)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "variable,url,says",
    [
        ("REDIS_URL", "localhost:6379", "must start with redis://, rediss://"),
        ("REDIS_URL", "redis:/localhost:6379/0", "names no host"),
        ("REDIS_URL", "redis://:s3cret@redis.internal:63x9/0", "not a valid URL"),
        ("CELERY_BROKER_URL", "reddis://redis.internal:6379/0", "must start with"),
        ("CELERY_BROKER_URL", "redis:///0", "names no host"),
        ("CELERY_BROKER_URL", "redis://redis.internal:6379/cache", "must be a number"),
        ("CELERY_BROKER_URL", "amqp://guest@rabbit//", "must start with"),
    ],
)
def test_a_malformed_broker_url_is_an_error_that_names_the_variable(variable, url, says):
    r = run(["-c", SHOW], **{variable: url})
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr
    assert variable in r.stderr and says in r.stderr
    assert "s3cret" not in r.stderr  # a password in the URL is not printed


def test_the_web_process_refuses_to_start_with_a_malformed_url():
    r = run([MANAGE, "check"], REDIS_URL="redis//redis.internal:6379/0")
    assert r.returncode != 0
    assert "ImproperlyConfigured: REDIS_URL must start with" in r.stderr


def test_well_formed_urls_choose_the_broker_and_whether_tasks_run_in_process():
    assert loaded() == ["memory://", True, 10]  # the embedded default
    assert loaded(REDIS_URL="redis://127.0.0.1:1/0") == ["redis://127.0.0.1:1/0", False, 10]
    assert loaded(
        REDIS_URL="redis://cache.internal:6379/0",
        CELERY_BROKER_URL="rediss://:pw@broker.internal:6380/2",
        EMAIL_TIMEOUT="5",
    ) == ["rediss://:pw@broker.internal:6380/2", False, 5]
    assert loaded(CELERY_BROKER_URL="memory://") == ["memory://", True, 10]
    assert loaded(CELERY_BROKER_URL="", REDIS_URL="") == ["memory://", True, 10]  # set but empty
