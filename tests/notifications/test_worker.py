"""Notifications through a real Celery worker and a real Redis (issue 9).

Runs when REDIS_URL is set (the PostgreSQL run of `make test`); skipped otherwise, unless
REQUIRE_WORKER=1, which turns a missing Redis or an unshareable database into a failure.

A `celery -A config worker` subprocess is started once for this module. It uses the test's
own database (pytest-django's `test_<name>` on PostgreSQL; the tests are transactional so
it sees committed rows), a dedicated Redis database as its broker (flushed before and after
each test), and the file email backend writing to a temporary folder, where the emails are
counted. The test process publishes to the same broker with eager tasks switched off.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import enqueue
from notifications.tasks import resend_pending
from reform_cases.models import CaseOutcome, CaseStatus
from reform_cases.submission import services as submission_services
from reviews.assignment.services import confirm_assignments
from reviews.models import Assignment, AssignmentStatus, ReviewRound
from tests.factories import (
    CaseFactory,
    CountyFactory,
    UserFactory,
    complete_fields,
    draft_case,
    open_campaign,
)
from tests.helpers import (
    file_backend_messages,
    publishing_to,
    redis_url_with_db,
    shared_database_url,
    use_broker,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") and os.environ.get("REQUIRE_WORKER") != "1",
        reason="REDIS_URL is not set: no Redis to run a real worker against",
    ),
]

BROKER_DB = 5  # a Redis database of its own: flushing it touches nothing else
WORKER_START_TIMEOUT = 30
DELIVERY_TIMEOUT = 30
REQUIRED = os.environ.get("REQUIRE_WORKER") == "1"


def _unavailable(reason):
    if REQUIRED:
        pytest.fail(f"REQUIRE_WORKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _broker_url():
    url = redis_url_with_db(BROKER_DB)
    if url is None:
        _unavailable("REDIS_URL is not set: no Redis to run a real worker against")
    return url


def _redis(url):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def _database_url():
    """The test database as a URL the worker's settings (django-environ) understand."""
    url = shared_database_url()
    if url is None:
        _unavailable(f"the worker cannot share a {connection.vendor} test database")
    return url


def _closed_port():
    """A local port where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _celery_command():
    exe = Path(sys.executable).with_name("celery")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "celery"]


class Worker:
    def __init__(self, proc, log, mail_dir, broker_url):
        self.proc, self.log, self.mail_dir, self.broker_url = proc, log, mail_dir, broker_url

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def check_alive(self):
        if self.proc.poll() is not None:
            pytest.fail(
                f"the celery worker exited ({self.proc.returncode}):\n{self.log_tail()}",
                pytrace=False,
            )

    def outcomes(self):
        """What each finished delivery task returned, counted from the worker's log."""
        text = self.log.read_text(errors="replace")
        return Counter(
            re.findall(r"deliver_notification\[[^]]+\] succeeded in [^:]+: '(\w+)'", text)
        )

    def clear_mail(self):
        for path in self.mail_dir.iterdir():
            path.unlink()

    def messages(self):
        """Every email the file backend wrote, parsed (headers decoded)."""
        return file_backend_messages(self.mail_dir)

    def wait_for(self, n, timeout=DELIVERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if len(self.messages()) >= n:
                return
            time.sleep(0.2)
        pytest.fail(
            f"{len(self.messages())} of {n} emails after {timeout} s; worker log:\n"
            f"{self.log_tail()}",
            pytrace=False,
        )

    def wait_until_idle(self, timeout=DELIVERY_TIMEOUT):
        """Until the broker holds no queued or unacknowledged task (acks_late: acked when done)."""
        r = _redis(self.broker_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if r.llen("celery") == 0 and r.hlen("unacked") == 0:
                time.sleep(0.5)  # a last look: nothing arrives late
                if r.llen("celery") == 0 and r.hlen("unacked") == 0:
                    return
            time.sleep(0.2)
        pytest.fail(f"tasks still queued after {timeout} s:\n{self.log_tail()}", pytrace=False)


def _stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task, then exit
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool children
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    broker_url = _broker_url()
    try:
        _redis(broker_url).ping()
    except Exception as exc:
        _unavailable(f"Redis at {broker_url} does not answer: {exc}")
    with django_db_blocker.unblock():
        database_url = _database_url()
    base = tmp_path_factory.mktemp("worker")
    mail_dir = base / "mail"
    mail_dir.mkdir()
    log = base / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",  # no idle connection may hold up the flush between tests
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # the worker needs no cache
    command = [
        *_celery_command(),
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--pool=prefork",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"notifications-test-{os.getpid()}@%h",
    ]
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        _unavailable(f"{command[0]} not found")
    _redis(broker_url).flushdb()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so its children can be killed too
        )
    w = Worker(proc, log, mail_dir, broker_url)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while " ready." not in log.read_text(errors="replace"):
            w.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{w.log_tail()}", pytrace=False)
            time.sleep(0.2)
        yield w
    finally:
        _stop(proc)
        # Best effort: the test's result does not depend on cleaning up.
        with suppress(Exception):
            _redis(broker_url).flushdb()


@pytest.fixture
def live(worker, settings):
    """Tasks go to the worker through Redis; the mail folder and the queue start empty."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = worker.broker_url
    _redis(worker.broker_url).flushdb()
    worker.clear_mail()
    with publishing_to(worker.broker_url):
        yield worker
    _redis(worker.broker_url).flushdb()


def _addresses(messages):
    return sorted(str(m["To"]) for m in messages)


def test_confirming_assignments_delivers_one_email_per_expert(live):
    admin = UserFactory(administrator=True)
    experts = [UserFactory(expert=True, display_name=f"专家{i}") for i in range(3)]
    campaign = open_campaign()
    now = timezone.now()
    round = ReviewRound.objects.create(
        campaign=campaign, name="初评", opens_at=now, closes_at=now + timedelta(days=10)
    )
    for i, expert in enumerate(experts):
        for j in range(i + 1):  # 1, 2 and 3 cases: still one email each
            case = CaseFactory(
                campaign=campaign,
                status=CaseStatus.ACCEPTED,
                outcome=CaseOutcome.PENDING,
                tier=None,
                title=f"专家{i}的案例{j}",
            )
            Assignment.objects.create(
                round=round, case=case, expert=expert, status=AssignmentStatus.PROPOSED
            )

    before = live.outcomes()
    started = time.monotonic()
    assert confirm_assignments(review_round=round, by=admin) == 6
    assert time.monotonic() - started < 5  # publishing does not wait for delivery

    live.wait_for(3)
    live.wait_until_idle()
    messages = live.messages()
    assert _addresses(messages) == sorted(e.email for e in experts)
    for i, expert in enumerate(experts):
        [message] = [m for m in messages if str(m["To"]) == expert.email]
        assert f"{i + 1} 个案例" in str(message["Subject"])
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert all(f"专家{i}的案例{j}" in text for j in range(i + 1))
        assert message.get_body(preferencelist=("html",)) is not None
    rows = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert rows.count() == 3
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert live.outcomes() - before == Counter(sent=3)


def test_broker_down_then_back_every_submission_is_delivered_exactly_once(live, settings):
    campaign = open_campaign(required_attachment_kinds=[])
    drafts = []
    for i in range(20):
        unit = CountyFactory()
        user = UserFactory(locality=True, organisation=unit)
        drafts.append(
            (draft_case(campaign, unit, **complete_fields(title=f"断线测试{i:02d}")), user)
        )

    # Redis is unreachable: nothing listens on the broker's port.
    down = f"redis://127.0.0.1:{_closed_port()}/{BROKER_DB}"
    settings.CELERY_BROKER_URL = down
    use_broker(down)
    timings = []
    for draft, user in drafts:
        started = time.monotonic()
        case = submission_services.submit_case(case=draft, by=user)
        timings.append(time.monotonic() - started)
        assert case.status == CaseStatus.SUBMITTED
    assert max(timings) < 3, timings  # each user waits a moment at most (≈0.5 s here)
    assert sum(timings) < 30, timings
    assert Notification.objects.filter(status=DeliveryStatus.SENT).count() == 0
    receipts = Notification.objects.filter(kind=NotificationKind.CASE_SUBMITTED)
    assert receipts.filter(status=DeliveryStatus.PENDING).count() == 20
    assert live.messages() == []

    # Redis is back; the periodic task runs once the rows are old enough. It runs again
    # at once (two beats, or a beat and a manual run): whatever is still pending is handed
    # over a second time; and every row is handed over once more, as a task redelivered
    # after a worker crash would be.
    settings.CELERY_BROKER_URL = live.broker_url
    use_broker(live.broker_url)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    before = live.outcomes()
    assert resend_pending() == 20
    again = resend_pending()
    enqueue(list(receipts.values_list("pk", flat=True)))

    live.wait_for(20)
    live.wait_until_idle()
    messages = live.messages()
    assert len(messages) == 20
    assert _addresses(messages) == sorted(user.email for _draft, user in drafts)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == sorted(f"已收到申报案例:断线测试{i:02d}" for i in range(20))
    assert set(receipts.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    # 40 + `again` tasks for twenty rows: each row was sent by one task, skipped by the others.
    assert live.outcomes() - before == Counter(sent=20, skipped=20 + again)
    assert resend_pending() == 0
