"""The deadline (issue 15): 300 experts saving drafts and submitting at once, gunicorn on PostgreSQL.

    bash scripts/services.sh exec .venv/bin/python bench/deadline.py
    .venv/bin/python bench/deadline.py                       # the same: starts the services itself
    .venv/bin/python bench/deadline.py --duration 10 --no-write   # a quick look

A throwaway PostgreSQL and Redis (scripts/services.sh; the script re-runs itself under
`services.sh exec` when DATABASE_URL is not PostgreSQL), `migrate`, `setup_site --no-demo`,
`seed_demo` (900 cases × 300 experts × 2 reviews, so that each expert has about six cases
free of conflicts), then in the bench's database only: a second round open now, each
expert's first-round cases assigned to them again in it (confirmed, no review yet), every
pledge accepted, the campaign back in review, and a session per expert (each expert is
logged in once, as a login would, under the server's SECRET_KEY).

gunicorn serves `config.settings.production` (random SECRET_KEY, DEBUG off,
SECURE_SSL_REDIRECT off; the requests carry `X-Forwarded-Proto: https` as the proxy
would, so the CSRF Origin/Referer checks of HTTPS apply) with `--workers 4` sync workers
on a free port of `[::1]`. One asyncio process plays every expert (raw sockets, one
connection per request: sync workers close each one), each with its own session, CSRF
cookie and think time of 1–3 s between any two of its requests (so 300 experts offer about
150 requests/s): open a case (GET), save 1–3 drafts (POST, then the page it redirects to,
which must show what was saved), submit (POST; one submit in four is double-clicked: two
POSTs at once), open the page again (it must say 已提交), next case.

Measured over the run minus the warm-up: latency p50/p90/p99 by kind of request, requests/s,
responses other than the expected ones (5xx counted apart), and CPU from /proc: the
gunicorn master and workers, PostgreSQL (postmaster and backends), Redis, this generator,
and other programs on the machine. Afterwards every review the clients believe submitted
(a submit answered by the redirect) must be in the database exactly once — one submitted
review, one score per criterion, one `submitted` event, one audit record — with the last
values sent; every draft the clients believe saved must hold its last values; the audit
chain must verify. Replaces the `deadline:run` part of the `bench:deadline` section of
BENCHMARKS.md (`--no-write` prints only).

`--in-process` measures the same three requests (open, save a draft, submit) through
django.test.Client in one process under the production settings — CPU per request without
gunicorn or a competing generator, optionally profiled (`--profile FILE`) — on a database
prepared with `--prepare-only` (the way this script's author worked):

    bash scripts/services.sh exec bash -c '.venv/bin/python bench/deadline.py --prepare-only \\
        --out /tmp/d.json && .venv/bin/python bench/deadline.py --in-process /tmp/d.json'
"""

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    # bench/ holds modules named like apps (notifications): the repo root comes first.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.http_load import (  # noqa: E402
    HOST,
    LOOPBACK,
    free_port,
    machine_busy,
    peak_rss_mb,
    run,
    stop,
    workers_of,
)
from bench.processes import process_table, service_pids, tree_ticks  # noqa: E402
from bench.report import ROOT as REPORT_ROOT  # noqa: E402
from bench.report import machine_line  # noqa: E402

SECTION = "deadline"
PART = "run"
PYTHON = sys.executable
HZ = os.sysconf("SC_CLK_TCK")
YEAR = 2093
TARGET_P99_MS = 500.0
SUBMITTED_BADGE = "已提交"
ALREADY_SUBMITTED = "评分已提交,不能再修改。"
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
STATUS_RE = re.compile(rb"HTTP/1\.[01] (\d{3})")
ORIGIN = f"https://{HOST}"


# --- preparation (a subprocess with config.settings.test: seed_demo is refused in production) ---


def prepare(args):
    """Seed, open a second round with each expert's cases, log every expert in; JSON to --out."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Role, User
    from reform_cases.models import Campaign, CampaignStatus
    from reviews.models import Assignment, AssignmentStatus, Pledge, ReviewRound

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)
    User.objects.get_or_create(
        username="bench-admin",
        defaults={"role": Role.ADMINISTRATOR, "display_name": "压测组织方"},
    )
    cases = args.experts * args.cases_per_expert // 2
    with Path(os.devnull).open("w") as devnull:
        call_command(
            "seed_demo", "--cases", str(cases), "--experts", str(args.experts),
            "--reviews-per-case", "2", "--seed", "1", "--year", str(YEAR), stdout=devnull,
        )  # fmt: skip
    campaign = Campaign.objects.get(year=YEAR, is_demo=True)
    first = ReviewRound.objects.get(campaign=campaign, order=1)
    now = timezone.now()
    with transaction.atomic():
        deadline = ReviewRound.objects.create(
            campaign=campaign,
            name="终评(截止日压测)",
            order=2,
            reviewers_per_case=2,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        deadline.panels.add(*first.panels.all())
        deadline.cases.add(*first.cases.all())
        # The first round's pairs are free of conflicts already: the same pairs again.
        pairs = Assignment.objects.filter(round=first, status=AssignmentStatus.CONFIRMED)
        Assignment.objects.bulk_create(
            [
                Assignment(
                    round=deadline,
                    case_id=case_id,
                    expert_id=expert_id,
                    status=AssignmentStatus.CONFIRMED,
                    confirmed_at=now,
                )
                for case_id, expert_id in pairs.values_list("case_id", "expert_id")
            ],
            batch_size=2000,
        )
        experts = list(
            User.objects.filter(role=Role.EXPERT, username__startswith=f"synthetic-{YEAR}-")
            .order_by("username")
        )  # fmt: skip
        Pledge.objects.bulk_create([Pledge(round=deadline, expert=e) for e in experts])
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.REVIEWING)
    mine = {}
    for pk, expert_id in (
        Assignment.objects.filter(round=deadline).order_by("pk").values_list("pk", "expert_id")
    ):
        mine.setdefault(expert_id, []).append(pk)
    people = []
    for expert in experts:
        client = Client()
        client.force_login(expert, backend="accounts.backends.EmailOrUsernameBackend")
        people.append(
            {
                "username": expert.username,
                "session": client.cookies["sessionid"].value,
                "assignments": mine.get(expert.pk, []),
            }
        )
    data = {
        "campaign": campaign.pk,
        "round": deadline.pk,
        "cases": cases,
        "criteria": [
            {"pk": c.pk, "max": float(c.max_score)} for c in campaign.criteria.order_by("order")
        ],
        "tiers": [t.pk for t in campaign.tiers.order_by("order")],
        "experts": people,
        "seconds": round(time.perf_counter() - started, 1),
    }
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    loads = [len(p["assignments"]) for p in people]
    print(
        f"prepared {len(people)} experts, {sum(loads)} assignments ({min(loads)}–{max(loads)} "
        f"each) in {data['seconds']} s",
        file=sys.stderr,
    )


# --- the check afterwards (a subprocess too) -------------------------------------------------


def check(args):
    """Compare the database with what the clients believe (JSON from --check); JSON to --out."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from decimal import Decimal
    from io import StringIO

    from django.core.management import call_command
    from django.db.models import Count

    from audit.models import AuditRecord
    from reviews.audit_records import REVIEW_SUBMITTED
    from reviews.models import Review, ReviewEvent, ReviewEventKind, ReviewStatus, Score

    beliefs = json.loads(Path(args.check).read_text(encoding="utf-8"))
    round_pk = beliefs["round"]
    reviews = {
        r.assignment_id: r for r in Review.objects.filter(assignment__round_id=round_pk)
    }  # fmt: skip
    scores = {}
    for s in Score.objects.filter(review__assignment__round_id=round_pk):
        scores.setdefault(s.review_id, []).append(s)
    events = dict(
        ReviewEvent.objects.filter(
            review__assignment__round_id=round_pk, kind=ReviewEventKind.SUBMITTED
        )
        .values_list("review_id")
        .annotate(n=Count("id"))
    )
    records = dict(
        AuditRecord.objects.filter(
            kind=REVIEW_SUBMITTED, object_id__in=[str(r.pk) for r in reviews.values()]
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
    )

    def number(text):
        return Decimal(text) if text != "" else None

    def same_values(review, sent) -> bool:
        mine = {s.criterion_id: s for s in scores.get(review.pk, [])}
        for pk, value in sent["scores"].items():
            saved = mine.get(int(pk))
            if saved is None or saved.value != number(value):
                return False
            if saved.comment != sent["comments"][pk].strip():
                return False
        tier = int(sent["tier"]) if sent["tier"] else None
        return review.overall_comment == sent["overall"].strip() and (
            review.recommended_tier_id == tier
        )

    out = {
        "believed_submitted": 0, "submitted_ok": 0, "lost": 0, "wrong_values": 0,
        "duplicated": 0, "believed_drafts": 0, "drafts_ok": 0, "drafts_wrong": 0,
        "submitted_unbelieved": 0, "problems": [],
    }  # fmt: skip
    believed = beliefs["reviews"]
    for key, sent in believed.items():
        review = reviews.get(int(key))
        if sent["state"] == "submitted":
            out["believed_submitted"] += 1
            if review is None or review.status != ReviewStatus.SUBMITTED:
                out["lost"] += 1
                out["problems"].append(f"assignment {key}: submitted, not in the database")
                continue
            copies = (
                events.get(review.pk, 0),
                records.get(str(review.pk), 0),
                len(scores.get(review.pk, [])),
            )
            if copies != (1, 1, len(sent["scores"])):
                out["duplicated"] += 1
                out["problems"].append(
                    f"assignment {key}: events, audit records, scores = {copies}"
                )
            elif not same_values(review, sent):
                out["wrong_values"] += 1
                out["problems"].append(f"assignment {key}: values differ from the last sent")
            else:
                out["submitted_ok"] += 1
        else:
            out["believed_drafts"] += 1
            if (
                review is None
                or review.status != ReviewStatus.DRAFT
                or not same_values(review, sent)
            ):
                out["drafts_wrong"] += 1
                out["problems"].append(f"assignment {key}: draft differs from the last saved")
            else:
                out["drafts_ok"] += 1
    for assignment_id, review in reviews.items():
        if review.status == ReviewStatus.SUBMITTED and (
            believed.get(str(assignment_id), {}).get("state") != "submitted"
        ):
            out["submitted_unbelieved"] += 1
    stdout = StringIO()
    try:
        call_command("verify_audit", stdout=stdout, stderr=stdout)
        out["audit"] = "verifies"
    except SystemExit as exc:
        out["audit"] = f"exit {exc.code}: {stdout.getvalue()[-400:]}"
    except Exception as exc:  # a CommandError: the chain is broken
        out["audit"] = f"{type(exc).__name__}: {exc}"
    out["problems"] = out["problems"][:20]
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


# --- the load generator ----------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.samples = []  # (started, seconds, kind, status)
        self.errors = []  # (started, kind, what)
        self.unexpected = []  # (kind, status, path)
        self.page_checks_failed = 0
        self.double_clicks = 0
        self.double_outcomes = {}


class Expert:
    """One expert in a browser: a session, a CSRF cookie, a think time between requests."""

    def __init__(self, info, data, port, stats, rng, *, deadline, think, double_click):
        self.info, self.data, self.port, self.stats, self.rng = info, data, port, stats, rng
        self.cookies = {"sessionid": info["session"]}
        self.token = None
        self.deadline, self.think, self.double_click = deadline, think, double_click
        self.saves = 0

    async def request(self, kind, path, form=None):
        body = urlencode(form).encode() if form is not None else b""
        lines = [
            f"{'POST' if form is not None else 'GET'} {path} HTTP/1.1",
            f"Host: {HOST}",
            "X-Forwarded-Proto: https",
            "Connection: close",
            "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        ]
        if form is not None:
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"Origin: {ORIGIN}",
                f"Referer: {ORIGIN}{path}",
            ]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, self.port)
            try:
                writer.write(raw)
                answer = await asyncio.wait_for(reader.read(), timeout=60)
            finally:
                writer.close()
        except (OSError, TimeoutError) as exc:
            self.stats.errors.append((started, kind, type(exc).__name__))
            return None, {}, b""
        elapsed = time.monotonic() - started
        head, _sep, content = answer.partition(b"\r\n\r\n")
        match = STATUS_RE.match(head)
        status = int(match.group(1)) if match else 0
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _c, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _s, _attrs = value.partition(";")
                key, _e, val = cookie.partition("=")
                if val in ("", '""'):
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
            else:
                headers[name] = value
        self.stats.samples.append((started, elapsed, kind, status))
        return status, headers, content

    async def pause(self):
        await asyncio.sleep(self.rng.uniform(*self.think))

    def values(self, assignment, *, complete):
        self.saves += 1
        scores, comments = {}, {}
        for c in self.data["criteria"]:
            blank = not complete and self.rng.random() < 0.3
            steps = int(c["max"] * 2)
            scores[str(c["pk"])] = "" if blank else f"{self.rng.randint(0, steps) / 2:g}"
            comments[str(c["pk"])] = (
                f"评语{self.saves}-{c['pk']}" if self.rng.random() < 0.5 else ""
            )
        tier = self.rng.choice(["", *map(str, self.data["tiers"])])
        overall = f"总体评价:{self.info['username']} 第{assignment}号 第{self.saves}稿"
        return {"scores": scores, "comments": comments, "overall": overall, "tier": tier}

    def form(self, sent, action):
        fields = {"csrfmiddlewaretoken": self.token, action: "1"}
        for pk, value in sent["scores"].items():
            fields[f"score_{pk}"] = value
            fields[f"comment_{pk}"] = sent["comments"][pk]
        fields["overall_comment"] = sent["overall"]
        fields["recommended_tier"] = sent["tier"]
        return fields

    def unexpected(self, kind, status, path):
        self.stats.unexpected.append((kind, status, path))

    async def open(self, path, *, expect=None, kind="GET case page"):
        status, _headers, content = await self.request(kind, path)
        if status != 200:
            if status is not None:
                self.unexpected(kind, status, path)
            return False
        if self.token is None:
            found = CSRF_RE.search(content)
            self.token = found.group(1).decode() if found else None
        if expect is not None and expect.encode() not in content:
            self.stats.page_checks_failed += 1
        return True

    async def post(self, kind, path, form):
        status, headers, content = await self.request(kind, path, form)
        if status == 302 and headers.get("location", "").endswith(path):
            return "saved"
        if status == 200 and ALREADY_SUBMITTED.encode() in content:
            return "refused: already submitted"
        if status is not None:
            self.unexpected(kind, status, path)
        return f"HTTP {status}" if status is not None else "socket error"

    async def run(self, beliefs):
        await asyncio.sleep(self.rng.uniform(0, self.think[1]))
        queue = list(self.info["assignments"])
        while queue and time.monotonic() < self.deadline:
            assignment = queue.pop(0)
            path = f"/review/{assignment}/"
            if not await self.open(path):
                await self.pause()
                continue
            for _draft in range(self.rng.randint(1, 3)):
                await self.pause()
                if time.monotonic() >= self.deadline:
                    return
                sent = self.values(assignment, complete=False)
                outcome = await self.post("POST save draft", path, self.form(sent, "save"))
                if outcome == "saved":
                    beliefs[str(assignment)] = {"state": "draft", **sent}
                await self.pause()
                await self.open(
                    path,
                    expect=sent["overall"] if outcome == "saved" else None,
                    kind="GET after a POST",
                )
            await self.pause()
            if time.monotonic() >= self.deadline:
                return
            sent = self.values(assignment, complete=True)
            form = self.form(sent, "submit")
            if self.rng.random() < self.double_click:
                self.stats.double_clicks += 1
                outcomes = await asyncio.gather(
                    self.post("POST submit", path, form), self.post("POST submit", path, form)
                )
                key = " + ".join(sorted(outcomes))
                self.stats.double_outcomes[key] = self.stats.double_outcomes.get(key, 0) + 1
            else:
                outcomes = [await self.post("POST submit", path, form)]
            if "saved" in outcomes:
                beliefs[str(assignment)] = {"state": "submitted", **sent}
            await self.pause()
            await self.open(path, expect=SUBMITTED_BADGE, kind="GET after a POST")
            await self.pause()
        # Every case done: the expert keeps reading the submitted ones until the end.
        while time.monotonic() < self.deadline and self.info["assignments"]:
            await self.open(f"/review/{self.rng.choice(self.info['assignments'])}/")
            await self.pause()


async def drive(data, port, args, on_window):
    """Every expert at once; `on_window(start|end)` snapshots CPU at the measured window's ends."""
    stats, beliefs = Stats(), {}
    rng = random.Random(args.seed)
    started = time.monotonic()
    deadline = started + args.warmup + args.duration
    experts = [
        Expert(info, data, port, stats, random.Random(rng.random()), deadline=deadline,
               think=(args.think_min, args.think_max), double_click=args.double_click)
        for info in data["experts"][: args.experts]
    ]  # fmt: skip
    tasks = [asyncio.ensure_future(e.run(beliefs)) for e in experts]
    await asyncio.sleep(args.warmup)
    window = {"start": time.monotonic(), **on_window()}
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    window.update({"end": time.monotonic(), "end_snap": on_window()})
    await asyncio.gather(*tasks)  # requests in flight finish; nothing new starts
    return stats, beliefs, window


# --- CPU of the processes involved -------------------------------------------------------------


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the run ---------------------------------------------------------------------------------


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def serve_and_load(args, env, data, workdir) -> dict:
    port = free_port()
    log = workdir / "gunicorn.log"
    proc = None
    try:
        proc = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi:application",
             "--workers", str(args.workers), "--bind", f"[{LOOPBACK}]:{port}",
             "--chdir", str(ROOT), "--error-logfile", str(log), "--log-level", "warning",
             "--timeout", "60", "--backlog", "2048"],
            env=env, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_ready(port, proc)
        workers = workers_of(proc.pid)
        services = service_pids(env)
        print(
            f"gunicorn on [{LOOPBACK}]:{port}, workers {workers}; PostgreSQL {services['postgresql']}, "
            f"Redis {services['redis']}; {args.experts} experts for {args.warmup:g} + "
            f"{args.duration:g} s…",
            flush=True,
        )

        def snapshot():
            table = process_table()
            return {
                "server": tree_ticks([proc.pid], table),
                "postgresql": tree_ticks(services["postgresql"], table),
                "redis": tree_ticks(services["redis"], table),
                "generator": own_seconds(),
                "busy": machine_busy(),
                "at": time.monotonic(),
            }

        stats, beliefs, window = asyncio.run(drive(data, port, args, snapshot))
        peaks = peak_rss_mb(workers_of(proc.pid))
        restarted = sorted(set(workers_of(proc.pid)) ^ set(workers))
    finally:
        stop(proc)
    return {
        "stats": stats,
        "beliefs": beliefs,
        "window": window,
        "peaks": peaks,
        "restarted": restarted,
        "log_tail": log.read_text(errors="replace")[-3000:] if log.exists() else "",
    }


def wait_ready(port, proc, timeout=60):
    from bench.http_load import fetch

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if fetch(port, "/accounts/login/", timeout=5)[0] == 200:
                return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def summarise(args, result, verdict) -> dict:
    stats, window = result["stats"], result["window"]
    start, end = window["start"], window["end"]
    seconds = end - start
    # Requests answered inside the window: the CPU measured there served them.
    inside = [s for s in stats.samples if start <= s[0] + s[1] < end]
    snap0, snap1 = (
        {k: v for k, v in window.items() if k not in ("start", "end", "end_snap")},
        window["end_snap"],
    )
    n = len(inside)
    cpu = {k: (snap1[k] - snap0[k]) / HZ for k in ("server", "postgresql", "redis")}
    cpu["generator"] = snap1["generator"] - snap0["generator"]
    machine = (snap1["busy"] - snap0["busy"]) / HZ
    capacity = seconds * os.cpu_count()
    ours = cpu["server"] + cpu["postgresql"] + cpu["redis"] + cpu["generator"]
    kinds = {}
    for _t, elapsed, kind, _status in inside:
        kinds.setdefault(kind, []).append(elapsed * 1000)
    latencies = sorted(e * 1000 for _t, e, _k, _s in inside)
    every = list(stats.samples)
    return {
        "requests": n,
        "seconds": seconds,
        "rps": n / seconds if seconds else 0.0,
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else float("nan"),
        "kinds": {
            k: {"n": len(v), "p50": percentile(sorted(v), 50), "p99": percentile(sorted(v), 99)}
            for k, v in sorted(kinds.items())
        },
        "cpu": cpu,
        "cpu_ms": {k: v * 1000 / n if n else float("nan") for k, v in cpu.items()},
        "machine_share": machine / capacity if capacity else 0.0,
        "others_share": max(0.0, machine - ours) / capacity if capacity else 0.0,
        "all_requests": len(every),
        "status_5xx": sum(1 for s in every if s[3] >= 500),
        "unexpected": len(stats.unexpected),
        "unexpected_sample": stats.unexpected[:5],
        "socket_errors": len(stats.errors),
        "page_checks_failed": stats.page_checks_failed,
        "double_clicks": stats.double_clicks,
        "double_outcomes": stats.double_outcomes,
        "verdict": verdict,
        "peaks": result["peaks"],
        "restarted": result["restarted"],
    }


def report(args, s, data) -> str:
    v = s["verdict"]
    cpu, per = s["cpu"], s["cpu_ms"]
    met = s["p99"] < TARGET_P99_MS
    kinds = "\n".join(
        f"| {kind} | {k['n']:,} | {k['p50']:.0f} | {k['p99']:.0f} |"
        for kind, k in s["kinds"].items()
    )
    outcomes = ", ".join(f"{k} × {n}" for k, n in sorted(s["double_outcomes"].items())) or "none"
    command = "bash scripts/services.sh exec .venv/bin/python bench/deadline.py"
    flags = []
    defaults = {"experts": 300, "duration": 60.0, "warmup": 10.0, "workers": 4}
    for name, default in defaults.items():
        if getattr(args, name) != default:
            flags.append(f"--{name} {getattr(args, name):g}")
    if flags:
        command += " " + " ".join(flags)
    clean = (
        v["lost"] == 0 and v["duplicated"] == 0 and v["wrong_values"] == 0
        and v["drafts_wrong"] == 0 and s["status_5xx"] == 0 and v["audit"] == "verifies"
    )  # fmt: skip
    lines = [
        f"`{command}`, run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC — gunicorn "
        f"{args.workers} sync workers, `config.settings.production` (DEBUG off, Redis cache), "
        f"PostgreSQL and Redis of scripts/services.sh; {args.experts} experts "
        f"({sum(len(e['assignments']) for e in data['experts'][: args.experts]):,} assignments), "
        f"think time {args.think_min:g}–{args.think_max:g} s between any two requests of one "
        f"expert, {args.double_click:.0%} of submits double-clicked; measured over "
        f"{s['seconds']:.0f} s after a {args.warmup:g} s warm-up. {machine_line()}",
        "",
        "| measure | result |",
        "|---|---:|",
        f"| requests in the measured window | {s['requests']:,} = **{s['rps']:.0f} req/s** |",
        f"| latency p50 / p90 / p99 / max | {s['p50']:.0f} / {s['p90']:.0f} / **{s['p99']:.0f}** / {s['max']:.0f} ms |",
        f"| p99 under {TARGET_P99_MS:.0f} ms | {'**met**' if met else '**missed**'} |",
        f"| gunicorn CPU (master + workers) | {cpu['server']:.1f} s = **{per['server']:.2f} ms per request** |",
        f"| PostgreSQL CPU (postmaster + backends) | {cpu['postgresql']:.1f} s = {per['postgresql']:.2f} ms per request |",
        f"| Redis CPU | {cpu['redis']:.1f} s = {per['redis']:.2f} ms per request |",
        f"| load generator CPU (this process, asyncio) | {cpu['generator']:.1f} s = {per['generator']:.2f} ms per request |",
        f"| the machine busy (2 cores = 200%) / other programs | {s['machine_share'] * 200:.0f}% / {s['others_share'] * 200:.0f}% |",
        f"| requests in the whole run / 5xx / other unexpected answers / socket errors | {s['all_requests']:,} / {s['status_5xx']} / {s['unexpected']} / {s['socket_errors']} |",
        f"| pages after a save not showing what was saved | {s['page_checks_failed']} |",
        f"| reviews the clients believe submitted / in the database exactly once with the last values | {v['believed_submitted']:,} / {v['submitted_ok']:,} |",
        f"| lost / duplicated / other values | {v['lost']} / {v['duplicated']} / {v['wrong_values']} |",
        f"| drafts the clients believe saved / holding the last values | {v['believed_drafts']:,} / {v['drafts_ok']:,} |",
        f"| submitted in the database without the client knowing (an answer lost) | {v['submitted_unbelieved']} |",
        f"| double-clicked submits: outcomes | {s['double_clicks']} ({outcomes}) |",
        f"| audit chain afterwards | {v['audit']} |",
        f"| worker peak RSS (VmHWM) | {', '.join(f'{mb:.0f} MB' for mb in s['peaks'].values())} |",
        "",
        "| request | n | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        kinds,
        "",
        (
            "Every review the clients believe submitted is in the database exactly once with the "
            "last values sent; no 5xx."
            if clean
            else "**Problems:** " + "; ".join(v["problems"][:10])
        ),
    ]
    if s["restarted"]:
        lines.append(f"Workers replaced during the run: {s['restarted']}.")
    return "\n".join(lines)


def write_part(body: str) -> Path:
    """Replace the script's part inside `bench:deadline`; the hand-written rest stays."""
    path = REPORT_ROOT / "BENCHMARKS.md"
    start, end = f"<!-- bench:{SECTION} -->", f"<!-- /bench:{SECTION} -->"
    pstart, pend = f"<!-- {SECTION}:{PART} -->", f"<!-- /{SECTION}:{PART} -->"
    block = f"{pstart}\n{body.strip()}\n{pend}"
    text = (
        path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{machine_line()}\n"
    )
    section = re.compile(re.escape(start) + r"(.*?)" + re.escape(end), re.S)
    found = section.search(text)
    inner = found.group(1) if found else "\n## The deadline (issue 15)\n"
    part = re.compile(re.escape(pstart) + r".*?" + re.escape(pend), re.S)
    if part.search(inner):
        inner = part.sub(lambda _m: block, inner, count=1)
    else:
        inner = inner.rstrip("\n") + "\n\n" + block + "\n"
    whole = f"{start}{inner}{end}"
    if found:
        text = section.sub(lambda _m: whole, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + whole + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def load(args):
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    workdir = Path(tempfile.mkdtemp(prefix="bench-deadline-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "SITE_URL": ORIGIN,
                "MEDIA_ROOT": str(workdir / "media"),
                "STATIC_ROOT": str(workdir / "static"),
                "LOG_LEVEL": "WARNING",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        test_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        data_file = workdir / "data.json"
        print("preparing data…", flush=True)
        run(
            [PYTHON, __file__, "--prepare-only", "--out", str(data_file),
             "--experts", str(args.experts), "--cases-per-expert", str(args.cases_per_expert)],
            env=test_env, timeout=1800, what="data preparation",
        )  # fmt: skip
        data = json.loads(data_file.read_text(encoding="utf-8"))
        print(f"data ready in {data['seconds']} s; collectstatic…", flush=True)
        serve_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
        run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=serve_env, timeout=300, what="collectstatic",
        )  # fmt: skip
        result = serve_and_load(args, serve_env, data, workdir)
        beliefs_file, verdict_file = workdir / "beliefs.json", workdir / "verdict.json"
        beliefs_file.write_text(
            json.dumps({"round": data["round"], "reviews": result["beliefs"]}, ensure_ascii=False),
            encoding="utf-8",
        )
        print("checking the database…", flush=True)
        run(
            [PYTHON, __file__, "--check", str(beliefs_file), "--out", str(verdict_file)],
            env=test_env, timeout=600, what="the check",
        )  # fmt: skip
        verdict = json.loads(verdict_file.read_text(encoding="utf-8"))
        summary = summarise(args, result, verdict)
        text = report(args, summary, data)
        print(text)
        if result["log_tail"].strip():
            print("gunicorn log (tail):\n" + result["log_tail"])
        if summary["unexpected_sample"]:
            print(f"unexpected answers (first): {summary['unexpected_sample']}")
        if args.json:
            Path(args.json).write_text(
                json.dumps(summary, ensure_ascii=False, default=str),
                encoding="utf-8",
            )
        if not args.no_write:
            print(f"written to {write_part(text)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- in process: CPU per request without gunicorn, optionally profiled ------------------------


def in_process(args):
    """Open, save and submit through django.test.Client under the production settings."""
    static_root = Path(tempfile.mkdtemp(prefix="bench-deadline-static-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SITE_URL": ORIGIN,
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # the manifest {% static %} reads
    from django.db import connection
    from django.test import Client

    from reviews.models import Assignment, ReviewStatus

    data = json.loads(Path(args.in_process).read_text(encoding="utf-8"))
    free = list(
        Assignment.objects.filter(round_id=data["round"])
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("expert")
        .order_by("pk")[: args.rounds]
    )
    if len(free) < args.rounds:
        raise SystemExit(f"only {len(free)} assignments left unsubmitted: prepare again")
    rng = random.Random(args.seed)
    clients = {}
    # One handler for every client, as one worker serves every expert (a Client of its own
    # would load the middleware again: whitenoise scans the static files).
    handler = Client(enforce_csrf_checks=True).handler

    def client_for(user):
        if user.pk not in clients:
            c = Client(enforce_csrf_checks=True, HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
            c.handler = handler
            c.force_login(user, backend="accounts.backends.EmailOrUsernameBackend")
            clients[user.pk] = c
        return clients[user.pk]

    def form(token, action, complete):
        fields = {
            "csrfmiddlewaretoken": token,
            action: "1",
            "overall_comment": f"评价{rng.random()}",
        }
        for c in data["criteria"]:
            blank = not complete and rng.random() < 0.3
            fields[f"score_{c['pk']}"] = (
                "" if blank else f"{rng.randint(0, int(c['max'] * 2)) / 2:g}"
            )
            fields[f"comment_{c['pk']}"] = "评语"
        fields["recommended_tier"] = str(rng.choice(data["tiers"]))
        return fields

    steps = []  # (kind, client, method, path, form factory)

    def one(kind, client, method, path, make=None):
        extra = {"HTTP_ORIGIN": ORIGIN, "HTTP_REFERER": ORIGIN + path} if method == "post" else {}
        fields = make() if make else None
        before = counted[0]
        started = time.process_time()
        response = getattr(client, method)(path, fields, **extra)
        spent = time.process_time() - started
        steps.append((kind, spent, response.status_code, counted[0] - before))
        return response

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    def flow(assignment, token_cache):
        client = client_for(assignment.expert)
        path = f"/review/{assignment.pk}/"
        page = one("GET case page", client, "get", path)
        token = token_cache.get(assignment.expert_id)
        if token is None:
            token = CSRF_RE.search(page.content).group(1).decode()
            token_cache[assignment.expert_id] = token
        one("POST save draft", client, "post", path, lambda: form(token, "save", False))
        one("GET after a POST", client, "get", path)
        one("POST submit", client, "post", path, lambda: form(token, "submit", True))
        one("GET after a POST", client, "get", path)

    tokens = {}
    warm = free[: args.warm]
    for assignment in warm:  # templates, translations, connections
        flow(assignment, tokens)
    steps.clear()
    measured = free[args.warm :]
    # Counting queries costs a little CPU: off unless asked for.
    with connection.execute_wrapper(count) if args.queries else contextlib.nullcontext():
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
            profiler.enable()
            for assignment in measured:
                flow(assignment, tokens)
            profiler.disable()
            profiler.dump_stats(args.profile)
        else:
            for assignment in measured:
                flow(assignment, tokens)
    by_kind = {}
    for kind, spent, status, queries in steps:
        by_kind.setdefault(kind, []).append((spent, status, queries))
    total = sum(step[1] for step in steps)
    print(f"{len(steps)} requests in process ({len(measured)} cases)")
    for kind, rows in by_kind.items():
        statuses = sorted({s for _t, s, _q in rows})
        counted = (
            f", {sum(q for _t, _s, q in rows) / len(rows):.1f} queries" if args.queries else ""
        )
        print(
            f"  {kind:18} n={len(rows):4}  CPU {1000 * sum(t for t, _s, _q in rows) / len(rows):6.2f} "
            f"ms per request{counted} (HTTP {statuses})"
        )
    print(f"  all                       CPU {1000 * total / len(steps):6.2f} ms per request")
    shutil.rmtree(static_root, ignore_errors=True)


# --- entry -----------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--cases-per-expert", type=int, default=6, help="about, in the round")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--double-click", type=float, default=0.25, help="share of submits")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--prepare-only", action="store_true", help="(internal) seed; --out")
    parser.add_argument("--check", metavar="BELIEFS", help="(internal) compare; --out")
    parser.add_argument("--out")
    parser.add_argument("--in-process", metavar="DATA", help="CPU per request without gunicorn")
    parser.add_argument("--rounds", type=int, default=60, help="--in-process: cases to go through")
    parser.add_argument("--warm", type=int, default=10, help="--in-process: unmeasured cases")
    parser.add_argument("--profile", metavar="FILE", help="--in-process: cProfile output")
    parser.add_argument("--queries", action="store_true", help="--in-process: count queries")
    args = parser.parse_args(argv)
    if args.prepare_only:
        prepare(args)
        return
    if args.check:
        check(args)
        return
    if args.in_process:
        in_process(args)
        return
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        # A throwaway PostgreSQL and Redis around this same command.
        os.chdir(ROOT)
        os.execvp("bash", ["bash", "scripts/services.sh", "exec", PYTHON, __file__, *sys.argv[1:]])
    if not (ROOT / "manage.py").exists():
        raise SystemExit("run from the repository")
    load(args)


if __name__ == "__main__":
    main()
