"""Production settings: `check --deploy` passes; no SECRET_KEY, no start."""

import os
import secrets
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")


# Set by the test run (scripts/test-all.sh, test_browser.py), never in a deployment.
NOT_INHERITED = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SITE_URL",
}
SITE_URL = "https://awards.example.org"


def run_manage(*args, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_secret():
    return secrets.token_urlsafe(64)  # 86 characters


def test_check_deploy_passes_with_no_warnings():
    r = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "System check identified no issues" in r.stdout
    assert "WARNING" not in r.stdout + r.stderr
    assert "security." not in r.stdout + r.stderr


def test_check_deploy_passes_even_when_debug_is_asked_for():
    # Production settings ignore DEBUG from the environment.
    r = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
        DEBUG="true",
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    r = run_manage("check", ALLOWED_HOSTS="awards.example.org", SITE_URL=SITE_URL)
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr
    assert "SECRET_KEY" in r.stderr


def test_production_settings_refuse_the_embedded_default_key():
    from config.settings import base

    r = run_manage(
        "check", SECRET_KEY=base.SECRET_KEY, ALLOWED_HOSTS="awards.example.org", SITE_URL=SITE_URL
    )
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr


def test_production_settings_without_allowed_hosts_refuse_to_start():
    r = run_manage("check", SECRET_KEY=production_secret(), SITE_URL=SITE_URL)
    assert r.returncode != 0
    assert "ALLOWED_HOSTS" in r.stderr


def test_production_settings_refuse_to_start_without_site_url():
    # Invitation, reset and notification links are built from it (common/links.py).
    r = run_manage("check", SECRET_KEY=production_secret(), ALLOWED_HOSTS="awards.example.org")
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr and "SITE_URL" in r.stderr


def test_production_builds_links_from_site_url():
    code = "from common.links import absolute_url; print(absolute_url('/cases/1/'))"
    r = run_manage(
        "shell",
        "-c",
        code,
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL + "/",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "https://awards.example.org/cases/1/"


def test_production_settings_values():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DEMO_DATA_ALLOWED, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE)"
    )
    r = run_manage(
        "shell",
        "-c",
        code,
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
        DEBUG="true",
    )
    assert r.returncode == 0, r.stderr
    assert (
        r.stdout.strip().splitlines()[-1] == "False False ('HTTP_X_FORWARDED_PROTO', 'https') True"
    )


@pytest.mark.parametrize(
    "environment,expected",
    [({}, "1"), ({"TRUSTED_PROXY_COUNT": "0"}, "0"), ({"TRUSTED_PROXY_COUNT": "2"}, "2")],
)
def test_production_trusts_one_proxy_unless_told_otherwise(environment, expected):
    # Behind nginx with 0 every client would share nginx's address (throttling, objection limit).
    code = "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT)"
    r = run_manage(
        "shell",
        "-c",
        code,
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
        **environment,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == expected


def test_production_requires_two_factor_of_every_staff_account():
    code = (
        "from django.conf import settings as s; "
        "from accounts.models import User; "
        "from accounts.two_factor.policy import two_factor_required; "
        "demo = User(username='demo-admin', role='admin', is_staff=True); "
        "print(s.OTP_REQUIRED_FOR_STAFF, s.DEMO_DATA_ALLOWED, two_factor_required(demo), "
        "'django_otp.middleware.OTPMiddleware' in s.MIDDLEWARE)"
    )
    r = run_manage(
        "shell",
        "-c",
        code,
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
        OTP_REQUIRED_FOR_STAFF="false",  # not read from the environment
    )
    assert r.returncode == 0, r.stderr
    # On, and the demo administrator's name exempts nobody.
    assert r.stdout.strip().splitlines()[-1] == "True False True True"


def test_test_settings_are_the_embedded_default():
    assert settings.DEMO_DATA_ALLOWED
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.OTP_REQUIRED_FOR_STAFF is False


@pytest.mark.parametrize(
    "redis_url,engine",
    [
        ("redis://127.0.0.1:1/0", "django.contrib.sessions.backends.cached_db"),
        (None, "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_are_read_from_a_shared_cache_only(redis_url, engine):
    # Local memory is each worker's own: a session ended in one would live on in another.
    r = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_ENGINE)",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL=SITE_URL,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=None,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == engine


def test_make_run_serves_links_on_the_port_it_serves():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}

    def dry_run(*args):
        r = subprocess.run(
            [make, "-n", "run", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        return [line for line in r.stdout.splitlines() if "runserver" in line][-1]

    line = dry_run("PORT=8123")
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in line
    assert line.endswith("runserver 127.0.0.1:8123")
    # The shell expands the assignment: the port served, unless a SITE_URL is given.
    assignment = line.partition(" ")[0]

    def served_site_url(**extra):
        r = subprocess.run(
            ["sh", "-c", f"{assignment} sh -c 'echo \"$SITE_URL\"'"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return r.stdout.strip()

    assert served_site_url() == "http://127.0.0.1:8123"
    assert served_site_url(SITE_URL="https://tunnel.example.org") == "https://tunnel.example.org"
