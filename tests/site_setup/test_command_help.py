"""Every management command of the project's apps prints its --help and exits 0."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

PROJECT_APPS = {
    "accounts",
    "reform_cases",
    "case_text",
    "reviews",
    "notifications",
    "audit",
    "site_setup",
}
COMMANDS = sorted(name for name, app in get_commands().items() if app in PROJECT_APPS)


def test_the_project_apps_have_commands():
    assert {"seed_demo", "setup_site", "verify_audit", "verify_results"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_zero_with_usage(command):
    run = subprocess.run(
        [sys.executable, "manage.py", command, "--help"],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: manage.py {command}"), run.stdout[:500]
