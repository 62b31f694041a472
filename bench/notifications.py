"""Notifications at scale: confirming 1,000 assignments, then delivering the outbox (issue 9).

Builds a throwaway SQLite database (a temporary folder, never var/db.sqlite3), migrates
it, and creates 100 experts and ten review rounds of 500 cases with two experts each:
1,000 proposed assignments per round, ten per expert.

1. `confirm_assignments` on each round, timed, with the queries it issues counted
   (CaptureQueriesContext) and the hand-over to the broker left out (measured on its own
   in 3.): the request's own work. One outbox row per expert: 100 rows per round.
2. The embedded default: one more round confirmed with eager tasks, so the request also
   renders and writes the 100 emails (file backend) before it returns.
3. Only when REDIS_URL is set: one more round confirmed with the rows handed to Redis.
4. Delivery rate in process: `notifications.delivery.deliver` on each of the 1,000 rows
   written in 1., file email backend.
5. Only when REDIS_URL is set: the same 1,000 rows put back to pending and handed to a real
   `celery -A config worker` through Redis (database 6, flushed), timed until every row is
   sent: one pool process, then four (SQLite as configured), and four with SQLite's
   `transaction_mode=IMMEDIATE` when the settings do not already ask for it (a run that
   stops making progress is reported as stalled, with the errors counted).

    .venv/bin/python bench/notifications.py

Prints a table and replaces the `bench:notifications` section of BENCHMARKS.md.
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder would come first on sys.path, where this very file would
# shadow the `notifications` app (and bench/http_load.py the standard library's `http`).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SECTION = "notifications"
EXPERTS = 100
CASES = 500
PER_CASE = 2  # 500 × 2 = 1,000 assignments, 10 per expert
ROUNDS = 10
STALL_SECONDS = 10
BROKER_DB = 6

WORK = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
REDIS_URL = os.environ.pop("REDIS_URL", "")  # the Django process itself runs without Redis
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(WORK / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(WORK / "mail"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from bench.report import machine_line  # noqa: E402
from bench.report import write_section as write_named_section  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from notifications import services  # noqa: E402
from notifications.delivery import deliver  # noqa: E402
from notifications.models import DeliveryStatus, Notification  # noqa: E402
from reform_cases.models import Campaign, CampaignStatus, Case, CaseStatus, normalise_title  # noqa: E402
from reviews.assignment.services import confirm_assignments  # noqa: E402
from reviews.models import Assignment, ReviewRound  # noqa: E402


def write_section(body: str):
    return write_named_section("notifications", body)


# --- data ---------------------------------------------------------------------------------


def make_experts():
    User.objects.bulk_create(
        [
            User(
                username=f"bench-expert-{i:03d}",
                email=f"bench-expert-{i:03d}@example.invalid",
                display_name=f"评审专家{i:03d}",
                role=Role.EXPERT,
                password="!",
            )
            for i in range(EXPERTS)
        ]
    )
    return list(User.objects.filter(role=Role.EXPERT).order_by("pk"))


def make_round(n, experts):
    """A campaign in review with one round: CASES cases, PER_CASE proposed experts each."""
    campaign = Campaign.objects.create(
        year=3000 + n,
        title=f"{3000 + n}年度基准评选",
        status=CampaignStatus.REVIEWING,
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                campaign=campaign,
                title=(title := f"基准案例{n:02d}-{i:04d}:“最多跑一次”改革"),
                title_key=normalise_title(title),
                status=CaseStatus.ACCEPTED,
            )
            for i in range(CASES)
        ],
        batch_size=500,
    )
    now = timezone.now()
    review_round = ReviewRound.objects.create(
        campaign=campaign,
        name="初评",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        reviewers_per_case=PER_CASE,
    )
    review_round.cases.add(*cases)
    Assignment.objects.bulk_create(
        [
            Assignment(round=review_round, case=case, expert=experts[(i * PER_CASE + j) % EXPERTS])
            for i, case in enumerate(cases)
            for j in range(PER_CASE)
        ],
        batch_size=1000,
    )
    return review_round


# --- measurements -------------------------------------------------------------------------


def statement(sql):
    """'INSERT notifications_notification', 'UPDATE reviews_assignment', 'SAVEPOINT'..."""
    words = sql.split()
    verb = words[0].upper()
    table = ""
    if verb == "INSERT":
        table = words[2]
    elif verb == "UPDATE":
        table = words[1]
    elif verb == "SELECT" and " FROM " in sql:
        table = sql.split(" FROM ", 1)[1].split()[0]
    return f"{verb} {table.strip(chr(34))}".strip()


def confirm(review_round, admin):
    """Confirm a round with the broker hand-over recorded, not run: (seconds, queries, ids)."""
    handed = []
    real = services.enqueue
    services.enqueue = handed.extend
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            count = confirm_assignments(review_round=review_round, by=admin)
            seconds = time.perf_counter() - started
    finally:
        services.enqueue = real
    assert count == CASES * PER_CASE, count
    return seconds, [q["sql"] for q in queries.captured_queries], handed


def mail_count(folder: Path) -> int:
    if not folder.exists():
        return 0
    separator = b"\n" + b"-" * 79 + b"\n"
    return sum(path.read_bytes().count(separator) for path in folder.iterdir())


def redis_broker():
    if not REDIS_URL.startswith("redis://"):
        return None
    url = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{BROKER_DB}"))
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:
        print(f"REDIS_URL is set but Redis does not answer ({exc}); no worker run", file=sys.stderr)
        return None
    client.flushdb()
    return url


def use_broker(url, *, eager):
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    celery_app.conf.task_always_eager = eager
    celery_app.conf.broker_url = url
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def start_worker(broker_url, mail_dir, *, concurrency, database_url, log):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    exe = Path(sys.executable).with_name("celery")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "celery"]
    command += [
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"bench-notifications-{os.getpid()}-{concurrency}@%h",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while " ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_worker(proc)
            raise RuntimeError(f"the worker did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return proc


def stop_worker(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def worker_rate(ids, broker_url, *, concurrency, database_url, name):
    """Rows back to pending, handed to a real worker through Redis; time until all are sent.

    Stops waiting when no row has been sent for STALL_SECONDS (failed tasks leave their
    rows pending for the periodic resend, which this bench does not run).
    """
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    mail_dir = WORK / f"mail-{name}"
    mail_dir.mkdir()
    log = WORK / f"worker-{name}.log"
    Notification.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, sent_at=None, last_error=""
    )
    proc = start_worker(
        broker_url, mail_dir, concurrency=concurrency, database_url=database_url, log=log
    )
    sent = Notification.objects.filter(pk__in=ids, status=DeliveryStatus.SENT)
    try:
        use_broker(broker_url, eager=False)
        started = time.perf_counter()
        services.enqueue(ids)
        published = time.perf_counter() - started
        done, last, progress_at = 0, -1, time.monotonic()
        while done < len(ids):
            time.sleep(0.05)
            done = sent.count()
            if done != last:
                last, progress_at = done, time.monotonic()
                finished = time.perf_counter()
            if proc.poll() is not None or time.monotonic() - progress_at > STALL_SECONDS:
                break
        seconds = finished - started
    finally:
        stop_worker(proc)
        use_broker("memory://localhost/", eager=True)
    text = log.read_text(errors="replace")
    return {
        "published": published,
        "seconds": seconds,
        "sent": done,
        "mails": mail_count(mail_dir),
        "locked": text.count("database is locked"),
        "failed_tasks": len(re.findall(r"deliver_notification\[[^]]+\] raised", text)),
    }


# --- report ---------------------------------------------------------------------------------


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms"


def main():
    started_at = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    admin = User.objects.create(username="bench-admin", role=Role.ADMINISTRATOR, password="!")
    experts = make_experts()
    rounds = [make_round(n, experts) for n in range(ROUNDS + 2)]

    # 1. The request's own work, ten times.
    runs = [confirm(review_round, admin) for review_round in rounds[:ROUNDS]]
    times = [seconds for seconds, _q, _ids in runs]
    _seconds, queries, _ids = runs[0]
    kinds = Counter(statement(sql) for sql in queries)
    ids = [pk for _s, _q, handed in runs for pk in handed]
    outbox_inserts = kinds["INSERT notifications_notification"]
    rows_per_round = Notification.objects.count() // ROUNDS
    assert len(ids) == ROUNDS * rows_per_round == ROUNDS * EXPERTS, (len(ids), rows_per_round)

    # 2. The embedded default: eager tasks deliver inside the request.
    use_broker("memory://localhost/", eager=True)
    mail_dir = Path(settings.EMAIL_FILE_PATH)
    before = mail_count(mail_dir)
    t = time.perf_counter()
    confirm_assignments(review_round=rounds[ROUNDS], by=admin)
    eager_seconds = time.perf_counter() - t
    eager_mails = mail_count(mail_dir) - before

    # 3. With Redis: the rows handed to the broker after commit.
    broker_url = redis_broker()
    redis_seconds = None
    if broker_url:
        use_broker(broker_url, eager=False)
        t = time.perf_counter()
        confirm_assignments(review_round=rounds[ROUNDS + 1], by=admin)
        redis_seconds = time.perf_counter() - t
        import redis

        redis.Redis.from_url(broker_url).flushdb()  # nobody will deliver these
        use_broker("memory://localhost/", eager=True)

    # 4. Delivery in process, file backend.
    before = mail_count(mail_dir)
    t = time.perf_counter()
    outcomes = Counter(deliver(pk) for pk in ids)
    deliver_seconds = time.perf_counter() - t
    delivered_mails = mail_count(mail_dir) - before
    assert outcomes == Counter(sent=len(ids)), outcomes
    assert delivered_mails == len(ids), delivered_mails

    # 5. Delivery by a real worker through Redis: one process, then four (SQLite as
    # configured), and four with IMMEDIATE transactions when that is not the configuration.
    workers = []
    if broker_url:
        database_url = os.environ["DATABASE_URL"]
        mode = settings.DATABASES["default"].get("OPTIONS", {}).get("transaction_mode")
        runs = [
            (1, database_url, "1 process"),
            (4, database_url, f"4 processes, transaction_mode {mode or 'DEFERRED'}"),
        ]
        if mode != "IMMEDIATE":
            runs.append((4, f"{database_url}?transaction_mode=IMMEDIATE", "4 processes, IMMEDIATE"))
        for concurrency, url, label in runs:
            name = re.sub(r"\W+", "-", label)
            result = worker_rate(
                ids, broker_url, concurrency=concurrency, database_url=url, name=name
            )
            workers.append((label, result))
        import redis

        redis.Redis.from_url(broker_url).flushdb()

    total = CASES * PER_CASE
    other = {k: v for k, v in kinds.items() if k != "INSERT notifications_notification"}
    lines = [
        "| measure | result |",
        "|---|---:|",
        f"| `confirm_assignments`: {total:,} assignments, {EXPERTS} experts, "
        f"broker hand-over excluded (median / min / max of {ROUNDS} rounds) "
        f"| {ms(statistics.median(times))} / {ms(min(times))} / {ms(max(times))} |",
        f"| SQL statements in one `confirm_assignments` | {len(queries)} |",
        f"| of which INSERT into the outbox (`notifications_notification`) "
        f"| {outbox_inserts} (one per expert: {rows_per_round} rows) |",
        f"| the others | {', '.join(f'{k} × {v}' for k, v in sorted(other.items()))} |",
        f"| `confirm_assignments`, embedded default (eager: {eager_mails} emails written "
        f"inside the request) | {ms(eager_seconds)} |",
    ]
    if redis_seconds is not None:
        lines.append(
            f"| `confirm_assignments`, rows handed to Redis after commit ({EXPERTS} tasks) "
            f"| {ms(redis_seconds)} |"
        )
    else:
        lines.append("| `confirm_assignments`, rows handed to Redis | not run (no REDIS_URL) |")
    lines.append(
        f"| delivery in process: `deliver()` × {len(ids):,}, file backend "
        f"| {deliver_seconds:.2f} s = **{len(ids) / deliver_seconds:,.0f} emails/s** |"
    )
    for label, w in workers:
        if w["sent"] == len(ids):
            result = (
                f"{w['seconds']:.2f} s = **{len(ids) / w['seconds']:,.0f} emails/s** "
                f"({w['mails']:,} emails)"
            )
        else:
            result = (
                f"**stalled: {w['sent']:,} of {len(ids):,} rows marked sent** in "
                f"{w['seconds']:.2f} s, but **{w['mails']:,} emails written**; "
                f"{w['failed_tasks']} tasks raised, {w['locked']} × “database is locked”"
            )
        lines.append(
            f"| delivery by `celery -A config worker` (prefork, {label}; Redis, file backend, "
            f"SQLite): {len(ids):,} rows, publishing {ms(w['published'])} | {result} |"
        )
    if not workers:
        lines.append("| delivery by a real worker | not run (no REDIS_URL) |")
    table = "\n".join(lines)
    bulk = (
        "Outbox rows are not written in one statement: `notify()` is called once per expert "
        f"and writes that expert's row with its own INSERT ({outbox_inserts} INSERTs for "
        f"{total:,} assignments); the assignments themselves are updated in bulk "
        f"(`bulk_update`, {kinds['UPDATE reviews_assignment']} UPDATEs)."
        if outbox_inserts > 1
        else "Outbox rows are written in one statement."
    )
    print(table)
    print(bulk)

    command = ".venv/bin/python bench/notifications.py"
    redis_note = (
        "with REDIS_URL set (Redis database 6 as the broker, flushed; "
        f"`bash scripts/services.sh exec {command}` provides one)"
        if broker_url
        else "without REDIS_URL (the Redis rows need it: `bash scripts/services.sh exec "
        f"{command}`)"
    )
    body = (
        "## Notifications (issue 9)\n\n"
        f"`{command}`, run {date.today().isoformat()} {redis_note}. A temporary SQLite "
        f"database; {EXPERTS} experts; each round has {CASES} cases × {PER_CASE} experts = "
        f"{total:,} proposed assignments (10 per expert). {machine_line()}\n\n"
        f"{table}\n\n"
        f"{bulk} The request time excludes the hand-over to the "
        "broker except in the two rows that say otherwise; in production the hand-over is "
        "one publish per row after commit, and the emails are sent by the workers. The "
        "worker rate includes the polling of the database (every 50 ms) and SQLite's single "
        "writer; the same 1,000 rows are put back to pending before each worker run."
        + (
            " **Several worker processes on SQLite as configured send emails whose rows stay "
            "pending**: `deliver()` reads the row in a deferred transaction, sends, then "
            "UPDATEs; when another process has written meanwhile, SQLite refuses the upgrade "
            "to a write lock at once (“database is locked”, the busy timeout does not apply), "
            "the transaction rolls back after the email has gone, and the periodic resend "
            "would send it again. With `transaction_mode=IMMEDIATE` (write lock taken at "
            "BEGIN) the same run completes. PostgreSQL is not affected (the row is locked by "
            "SELECT … FOR UPDATE before sending)."
            if any(w["sent"] < len(ids) for _l, w in workers)
            else ""
        )
        + "\n"
    )
    path = write_section(body)
    print(f"wrote the {SECTION} section of {path} ({time.perf_counter() - started_at:.0f} s)")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
