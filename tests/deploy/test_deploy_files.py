"""deploy/ agrees with the code: the units start modules that exist with the gunicorn file
of this tree, the Procfile runs the same commands, and the environment example lists every
variable the settings read, and nothing they do not.

The units' commands themselves are run by tests/deploy/test_two_nodes.py.
"""

import importlib
import re
import runpy
import shlex
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import DEPLOY, local_command, systemd_unit, unit_command

# Files and code only: run once, on the SQLite pass.
pytestmark = pytest.mark.engine_neutral

BASE = Path(settings.BASE_DIR)
UNITS = (
    "reform-awards-web.service",
    "reform-awards-worker.service",
    "reform-awards-documents.service",
    "reform-awards-beat.service",
)
ENV_EXAMPLE = DEPLOY / "reform-awards.env.example"
# `env("NAME"`, `env.int(\n    "NAME"`, … in the settings; `os.environ.get("NAME"` in gunicorn's.
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
OS_ENV_READ = re.compile(r"os\.environ(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]*)\"")
# Read by the base settings but fixed by the production ones: setting it would change nothing.
FIXED_IN_PRODUCTION = {"DEBUG"}
# Read by Django and Celery themselves, not by our settings.
READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE"}


def settings_variables() -> set[str]:
    found = set()
    for path in (BASE / "config" / "settings").glob("*.py"):
        if path.name != "test.py":
            found |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return found


def gunicorn_variables() -> set[str]:
    return set(OS_ENV_READ.findall((DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")))


def env_example_variables() -> dict[str, bool]:
    """Each variable of the example: True if set, False if shown commented out (optional)."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=.*", line.strip())
        if match:
            found[match[2]] = match[1] is None
    return found


def test_the_environment_example_lists_every_variable_read_and_no_other():
    listed = set(env_example_variables())
    read = settings_variables() - FIXED_IN_PRODUCTION
    assert sorted(read - listed) == [], "read by config/settings but not in the env example"
    assert sorted(gunicorn_variables() - listed) == [], "read by gunicorn.conf.py, not listed"
    unknown = listed - read - gunicorn_variables() - READ_ELSEWHERE
    assert sorted(unknown) == [], "listed in the env example but read by nothing"


def test_the_environment_example_sets_what_production_requires():
    required = {k for k, is_set in env_example_variables().items() if is_set}
    assert {
        "DJANGO_SETTINGS_MODULE",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "STORAGE_BUCKET",
        "TRUSTED_PROXY_COUNT",
    } <= required
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "DJANGO_SETTINGS_MODULE=config.settings.production\n" in text
    assert "TRUSTED_PROXY_COUNT=1\n" in text  # the one nginx of deploy/nginx/


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_runs_as_a_service_user_from_the_env_file(unit):
    values = systemd_unit(unit)
    assert values["EnvironmentFile"] == ["/etc/reform-awards.env"]
    assert values["User"] == ["reform-awards"]
    assert values["Restart"] == ["on-failure"]
    (workdir,) = values["WorkingDirectory"]
    program = Path(unit_command(unit)[0])
    # The program is the virtualenv's, inside the working directory (the checkout).
    assert program.parent == Path(workdir) / ".venv" / "bin"
    assert Path(local_command(unit_command(unit))[0]).exists()  # installed by requirements.txt
    assert values["WantedBy"] == ["multi-user.target"]


def test_the_web_unit_starts_gunicorn_with_this_trees_settings_file():
    argv = unit_command("reform-awards-web.service")
    assert Path(argv[0]).name == "gunicorn"
    config = argv[argv.index("-c") + 1]
    assert (BASE / config).resolve() == (DEPLOY / "gunicorn.conf.py").resolve()
    module, _, attribute = argv[-1].partition(":")
    assert module == "config.wsgi" and attribute == "application"
    assert importlib.util.find_spec(module) is not None
    assert systemd_unit("reform-awards-web.service")["ExecReload"] == ["/bin/kill -s HUP $MAINPID"]


def test_the_gunicorn_file_reads_its_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "10.0.0.11:8000")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    monkeypatch.setenv("GUNICORN_FORWARDED_ALLOW_IPS", "10.0.0.10")
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["bind"] == "10.0.0.11:8000"
    assert conf["workers"] == 3
    assert conf["timeout"] == 45
    assert conf["forwarded_allow_ips"] == "10.0.0.10"
    assert conf["wsgi_app"] == "config.wsgi:application"
    assert "%({x-request-id}i)s" in conf["access_log_format"]
    # A stopping worker finishes its request; systemd waits longer than that before killing.
    (stop,) = systemd_unit("reform-awards-web.service")["TimeoutStopSec"]
    assert conf["graceful_timeout"] < int(stop)


@pytest.mark.parametrize(
    "unit,command",
    [
        ("reform-awards-worker.service", "worker"),
        ("reform-awards-documents.service", "worker"),
        ("reform-awards-beat.service", "beat"),
    ],
)
def test_the_celery_units_start_this_projects_app(unit, command):
    argv = unit_command(unit)
    assert Path(argv[0]).name == "celery"
    assert argv[argv.index("-A") + 1] == "config"
    assert argv[argv.index("-A") + 2] == command
    assert importlib.util.find_spec("config.celery") is not None
    if command == "worker":
        # systemd's %%h reaches celery as %h, its own host-name placeholder: names stay unique.
        assert argv[argv.index("-n") + 1].endswith("@%h")


def test_every_queue_has_a_worker_and_the_bundles_have_theirs_alone():
    """The general worker takes the default queue only; the documents worker the documents
    queue only, one process at a time; every routed task goes to a queue some unit serves."""
    queues = {}
    for unit in ("reform-awards-worker.service", "reform-awards-documents.service"):
        argv = unit_command(unit)
        queues[unit] = set(argv[argv.index("-Q") + 1].split(","))
    assert queues["reform-awards-worker.service"] == {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert queues["reform-awards-documents.service"] == {settings.CELERY_DOCUMENTS_QUEUE}
    # One process, the task in it: no pool process beside it (BENCHMARKS.md bench:bundle).
    assert "--pool=solo" in unit_command("reform-awards-documents.service")
    served = set().union(*queues.values())
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= served
    assert settings.CELERY_TASK_ROUTES["reviews.tasks.build_committee_bundle"] == {
        "queue": settings.CELERY_DOCUMENTS_QUEUE
    }


def test_the_beat_unit_keeps_its_schedule_in_its_state_directory():
    values = systemd_unit("reform-awards-beat.service")
    (state,) = values["StateDirectory"]
    schedule = next(a for a in unit_command("reform-awards-beat.service") if "--schedule" in a)
    assert schedule == f"--schedule=/var/lib/{state}/celerybeat-schedule"
    text = (DEPLOY / "systemd" / "reform-awards-beat.service").read_text(encoding="utf-8")
    assert "ONE beat per deployment" in text


def test_the_procfile_runs_the_units_commands():
    procfile = {}
    for line in (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, _, command = line.partition(":")
            procfile[name.strip()] = shlex.split(command)
    assert set(procfile) == {"web", "worker", "documents", "beat"}
    for name, argv in procfile.items():
        unit = unit_command(f"reform-awards-{name}.service")
        # The same program and arguments; only the beat's state file is the unit's own.
        expected = [Path(unit[0]).name] + [a for a in unit[1:] if not a.startswith("--schedule")]
        assert argv == expected, name
