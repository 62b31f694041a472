"""Two web nodes behind nginx, two Celery workers, the documents worker and one beat, run from
deploy/ (issues 17 and 19).

Runs on the PostgreSQL + Redis pass: it needs the test database to be PostgreSQL (the nodes
and workers share it), REDIS_URL, TEST_S3_ENDPOINT_URL (the moto server of
scripts/services.sh) and nginx. Skipped otherwise, unless REQUIRE_MULTINODE=1, which turns a
missing piece into a failure.

One cluster for the module, started from the operator's files: nginx runs
deploy/nginx/reform-awards.conf with only its `# edit:` values replaced (a free port, the two
nodes, a temporary static folder and log), each node runs the web unit's ExecStart
(gunicorn -c deploy/gunicorn.conf.py) with the production settings, the workers and the beat
run their units' commands. What differs from a real deployment, and why:

* SECURE_SSL_REDIRECT=false: nginx here speaks plain HTTP (X-Forwarded-Proto: http), so the
  redirect to HTTPS would answer every request. The test's client also sends the session
  cookie, which is marked Secure, over that plain HTTP (`Browser.request`).
* CONN_MAX_AGE=0: the tests are transactional and the database is emptied between them; an
  idle connection kept by a node must not hold that up.
* Each node has a MEDIA_ROOT of its own (empty at the end): files live only in the bucket.
* The client connects from 127.0.0.3, nginx from 127.0.0.1: the address the application
  records is the client's only if it reads X-Forwarded-For as nginx wrote it.

Which node answered a request is read from nginx's access log (its `upstream=` field), found
by the request id nginx made and the node returned (X-Request-ID); round robin then brings
the next requests to the other node. Administrator steps (a correction) are service calls in the test process:
production requires a second factor for staff, and the cluster shares the test's database.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter

from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notify
from reform_cases.models import (
    Attachment,
    AttachmentDownload,
    AttachmentKind,
    CampaignStatus,
    Case,
    Objection,
)
from reform_cases.publication import services as publication_services
from reviews.models import ReminderSent
from tests.factories import (
    PASSWORD,
    PDF,
    CampaignFactory,
    CaseFactory,
    UserFactory,
    accepted_case_for_ranking,
    accepted_case_for_review,
    confirmed,
    draft_case,
    make_closed_round,
    make_expert,
    make_open_round,
    open_campaign,
    ranking_campaign,
    ranking_entry,
    reviewing_campaign,
)
from tests.helpers import (
    file_backend_messages,
    local_command,
    nginx_edited,
    nginx_wrapper,
    publishing_to,
    redis_url_with_db,
    shared_database_url,
    unit_command,
)

REQUIRED = os.environ.get("REQUIRE_MULTINODE") == "1"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not REQUIRED
        and not (os.environ.get("REDIS_URL") and os.environ.get("TEST_S3_ENDPOINT_URL")),
        reason="REDIS_URL or TEST_S3_ENDPOINT_URL is not set: no cluster to run",
    ),
]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CACHE_DB, BROKER_DB = 6, 7  # Redis databases of their own: flushing them touches nothing else
CLIENT_ADDRESS = "127.0.0.3"  # the test's "browser"; nginx reaches the nodes from 127.0.0.1
START_TIMEOUT = 45
WAIT_TIMEOUT = 30
HTTP_TIMEOUT = 20


# The nodes run the production settings, whose password hashers do not include the tests'
# fast MD5 one: accounts the nodes log in get a PBKDF2 hash (few iterations; the node
# upgrades it at the first log-in, as it would an old hash).
NODE_PASSWORD_HASH = PBKDF2PasswordHasher().encode(PASSWORD, "multinodetestsalt", iterations=1000)


def node_user(**kwargs):
    user = UserFactory(**kwargs)
    type(user).objects.filter(pk=user.pk).update(password=NODE_PASSWORD_HASH)
    return user


def _unavailable(reason):
    if REQUIRED:
        pytest.fail(f"REQUIRE_MULTINODE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(url):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def _wait(condition, what, timeout=WAIT_TIMEOUT, on_timeout=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} after {timeout} s\n{on_timeout()}", pytrace=False)


# --- the processes ---------------------------------------------------------------------------


class Process:
    def __init__(self, name, argv, env, log, cwd):
        self.name, self.log = name, log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: its workers are stopped with it
            )

    def text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n=30):
        return f"--- {self.name} ---\n" + "\n".join(self.text().splitlines()[-n:])

    def alive(self):
        return self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, deadline):
        """After `terminate`: wait until `deadline`, then kill what is left of the group."""
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        self.kill(signal.SIGKILL)  # whatever of the group is left (pool children)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class FromAddress(HTTPAdapter):
    """Connections from a given local address (the client is not nginx)."""

    def __init__(self, address, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """A client of the site through nginx, from its own address."""

    def __init__(self, cluster, address=CLIENT_ADDRESS):
        self.cluster = cluster
        self.session = requests.Session()
        self.session.mount("http://", FromAddress(address))

    def request(self, method, path, **kwargs):
        headers = {"User-Agent": "multinode-test", **kwargs.pop("headers", {})}
        # Every cookie, the Secure ones included (session, CSRF), over the test's plain HTTP,
        # as a browser sends them over HTTPS; requests itself would hold the Secure ones back.
        if self.session.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        return self.session.request(
            method,
            self.cluster.url + path,
            headers=headers,
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
            **kwargs,
        )

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        data = {"csrfmiddlewaretoken": self.csrf_token(), **(data or {})}
        return self.request("POST", path, data=data, **kwargs)

    def csrf_token(self):
        if "csrftoken" not in self.session.cookies:
            self.get("/accounts/login/")  # sets the cookie
        return self.session.cookies["csrftoken"]

    def log_in(self, user, password=PASSWORD):
        r = self.post("/accounts/login/", {"username": user.username, "password": password})
        assert r.status_code == 302, (r.status_code, r.text[:500])
        return r


class Cluster:
    def __init__(self, base):
        self.base = base
        self.processes = {}
        self.nodes = {}  # name → port
        self.url = ""

    def start(self, name, argv, env, cwd):
        self.processes[name] = Process(name, argv, env, self.base / f"{name}.log", cwd)
        return self.processes[name]

    def tails(self):
        return "\n".join(p.tail() for p in self.processes.values())

    def check_alive(self, *names):
        for name in names or self.processes:
            if not self.processes[name].alive():
                pytest.fail(f"{name} exited:\n{self.tails()}", pytrace=False)

    # nginx's access log: one line per request, with the id nginx gave it and the node's
    # address; the node returns the id (X-Request-ID), so a response finds its line.
    def access_line(self, response):
        request_id = response.headers.get("X-Request-ID", "")
        assert re.fullmatch(r"[0-9a-f]{32}", request_id), response.headers
        found = {}

        def logged():
            text = (self.base / "access.log").read_text(errors="replace")
            match = re.search(rf"^.* rid={request_id} .*$", text, re.M)
            if match:
                found["line"] = match.group(0)
            return bool(found)

        _wait(logged, f"no access log line for {request_id}", timeout=5)
        return found["line"]

    def upstreams(self, response):
        """The nodes nginx tried for the request, in order (more than one: it retried)."""
        line = self.access_line(response)
        addresses = re.search(r"upstream=(\S+(?:, \S+)*) upstream_status", line).group(1)
        by_port = {str(port): name for name, port in self.nodes.items()}
        return [by_port[a.strip().rsplit(":", 1)[1]] for a in addresses.split(",")]

    def served_by(self, response):
        return self.upstreams(response)[-1]

    def mail(self):
        return [m for d in self.mail_dirs for m in file_backend_messages(d)]

    def broker_idle(self):
        r = _redis(self.broker_url)
        queues = (django_settings.CELERY_TASK_DEFAULT_QUEUE, django_settings.CELERY_DOCUMENTS_QUEUE)
        return all(r.llen(q) == 0 for q in queues) and r.hlen("unacked") == 0

    def wait_until_idle(self):
        def idle_twice():
            self.check_alive("worker-a", "worker-b")
            if not self.broker_idle():
                return False
            time.sleep(0.5)  # a last look: nothing arrives late
            return self.broker_idle()

        _wait(idle_twice, "tasks still queued", on_timeout=self.tails)


def _node_environment(*, base, database_url, cache_url, broker_url, bucket, endpoint, port):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "STORAGE_", "EMAIL_", "GUNICORN_"))
        and k not in ("REDIS_URL", "DATABASE_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "CONN_MAX_AGE": "0",
            "REDIS_URL": cache_url,
            "CELERY_BROKER_URL": broker_url,
            "STORAGE_BUCKET": bucket,
            "STORAGE_ENDPOINT_URL": endpoint,
            "STORAGE_ACCESS_KEY_ID": "multinode-test",
            "STORAGE_SECRET_ACCESS_KEY": "multinode-test-secret",
            "STORAGE_REGION": "us-east-1",
            "STORAGE_ADDRESSING_STYLE": "path",
            "STATIC_ROOT": str(base / "static"),
            "TRUSTED_PROXY_COUNT": "1",
            "TRUSTED_PROXY_IPS": "127.0.0.1",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        database_url = shared_database_url()
    if database_url is None:
        _unavailable(f"the nodes cannot share a {connection.vendor} test database")
    cache_url, broker_url = redis_url_with_db(CACHE_DB), redis_url_with_db(BROKER_DB)
    if cache_url is None:
        _unavailable("REDIS_URL is not set: the nodes need a shared Redis")
    endpoint = os.environ.get("TEST_S3_ENDPOINT_URL", "")
    if not endpoint:
        _unavailable("TEST_S3_ENDPOINT_URL is not set: no object store for the nodes")
    if not Path(NGINX).exists():
        _unavailable("nginx is not installed")
    for url in (cache_url, broker_url):
        try:
            _redis(url).flushdb()
        except Exception as exc:
            _unavailable(f"Redis at {url} does not answer: {exc}")

    import boto3

    bucket = f"multinode-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="multinode-test",
        aws_secret_access_key="multinode-test-secret",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)

    base = tmp_path_factory.mktemp("cluster")
    cwd = django_settings.BASE_DIR
    c = Cluster(base)
    c.s3, c.bucket = s3, bucket
    c.cache_url, c.broker_url = cache_url, broker_url
    port = _free_port()
    c.url = f"http://127.0.0.1:{port}"
    env = _node_environment(
        base=base,
        database_url=database_url,
        cache_url=cache_url,
        broker_url=broker_url,
        bucket=bucket,
        endpoint=endpoint,
        port=port,
    )
    try:
        # The static files nginx serves, as an operator collects them (manifest included).
        collect = subprocess.run(
            [*local_command(["python"]), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert collect.returncode == 0, collect.stderr

        c.mail_dirs = []
        for name in ("a", "b"):
            mail_dir = base / f"mail-{name}"
            mail_dir.mkdir()
            c.mail_dirs.append(mail_dir)
            # The unit's command; a name of its own (two workers on one host) and no start-up
            # chatter between workers (mingle, gossip), which only slows the start here.
            argv = [
                *local_command(unit_command("reform-awards-worker.service")),
                "-n",
                f"{name}@%h",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            c.start(f"worker-{name}", argv, {**env, "EMAIL_FILE_PATH": str(mail_dir)}, cwd)
        # The documents worker: the committee's bundles, on their queue alone.
        documents = [
            *local_command(unit_command("reform-awards-documents.service")),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        c.start("worker-documents", documents, env, cwd)
        beat = [
            a if not a.startswith("--schedule=") else f"--schedule={base / 'beat-schedule'}"
            for a in local_command(unit_command("reform-awards-beat.service"))
        ]
        c.start("beat", beat, env, cwd)
        for name in ("a", "b"):
            node_port = _free_port()
            c.nodes[name] = node_port
            media = base / f"media-{name}"
            media.mkdir()
            node_env = {
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{node_port}",
                "MEDIA_ROOT": str(media),
                "EMAIL_FILE_PATH": str(base / f"mail-{name}"),
            }
            c.start(
                f"node-{name}",
                local_command(unit_command("reform-awards-web.service")),
                node_env,
                cwd,
            )
        prefix = base / "nginx"
        prefix.mkdir()
        fragment = nginx_edited(
            listen=f"127.0.0.1:{port}",
            nodes=[f"127.0.0.1:{p}" for p in c.nodes.values()],
            static_root=str(base / "static"),
            access_log=str(base / "access.log"),
        )
        wrapper = nginx_wrapper(prefix, fragment, user_root=os.geteuid() == 0)
        c.start(
            "nginx",
            [
                NGINX,
                "-p",
                str(prefix),
                "-e",
                str(prefix / "error.log"),
                "-c",
                str(wrapper),
                "-g",
                "daemon off;",
            ],
            env,
            cwd,
        )

        def answering(node_port):
            try:
                requests.get(f"http://127.0.0.1:{node_port}/healthz", timeout=2)
                return True
            except requests.RequestException:
                return False

        def ready():
            c.check_alive()
            return (
                all(answering(p) for p in [*c.nodes.values(), port])
                and all(
                    " ready." in c.processes[f"worker-{n}"].text() for n in ("a", "b", "documents")
                )
                and "beat: Starting" in c.processes["beat"].text()
            )

        _wait(ready, "the cluster did not start", timeout=START_TIMEOUT, on_timeout=c.tails)
        yield c
    finally:
        # All at once: gunicorn, celery and nginx each stop cleanly on TERM.
        for process in c.processes.values():
            if process.alive():
                process.kill(signal.SIGTERM)
        deadline = time.monotonic() + 8
        for process in c.processes.values():
            process.stop(deadline)
        with suppress(Exception):  # best effort: the result does not depend on cleaning up
            for url in (cache_url, broker_url):
                _redis(url).flushdb()
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def fresh(cluster):
    """Each test starts with an empty queue, no mail and an empty node cache."""
    cluster.check_alive()
    _redis(cluster.broker_url).flushdb()
    _redis(cluster.cache_url).flushdb()
    for mail_dir in cluster.mail_dirs:
        for path in mail_dir.iterdir():
            path.unlink()
    return cluster


def _on_other_node(cluster, first, request, tries=4):
    """Repeat `request()` until a node other than `first`'s answers (round robin)."""
    served = cluster.served_by(first)
    for _ in range(tries):
        response = request()
        if cluster.served_by(response) != served:
            return response
    pytest.fail(f"nginx sent {tries} requests in a row to node {served}", pytrace=False)


# --- a. files -------------------------------------------------------------------------------


def test_an_upload_made_on_one_node_downloads_on_the_other(fresh):
    campaign = open_campaign()
    locality = node_user(locality=True)
    draft = draft_case(campaign, locality.organisation, title="跨节点上传")
    browser = Browser(fresh)
    browser.log_in(locality)

    upload = browser.post(
        f"/cases/mine/{draft.pk}/attachments/",
        {"kind": AttachmentKind.APPLICATION_FORM},
        files={"file": ("申报书.pdf", PDF, "application/pdf")},
    )
    assert upload.status_code == 302, upload.text[:500]
    (attachment,) = Attachment.objects.filter(case=draft)

    download = _on_other_node(
        fresh, upload, lambda: browser.get(f"/cases/attachments/{attachment.pk}/")
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # The file is in the bucket, on neither node's disk; the download logged the client.
    keys = [o["Key"] for o in fresh.s3.list_objects_v2(Bucket=fresh.bucket)["Contents"]]
    assert attachment.file.name in keys
    for name in fresh.nodes:
        assert not any(p.is_file() for p in (fresh.base / f"media-{name}").rglob("*"))
    assert list(AttachmentDownload.objects.values_list("ip_address", flat=True)) == [CLIENT_ADDRESS]


# --- b. sessions ----------------------------------------------------------------------------


def test_a_session_made_on_one_node_is_valid_on_the_other_and_ends_on_both(fresh):
    locality = node_user(locality=True, display_name="跨节点登录者")
    browser = Browser(fresh)
    login = browser.log_in(locality)
    mine = _on_other_node(fresh, login, lambda: browser.get("/cases/mine/"))
    assert mine.status_code == 200
    assert "跨节点登录者" in mine.text

    logout = browser.post("/accounts/logout/")
    assert logout.status_code == 302
    after = _on_other_node(fresh, logout, lambda: browser.get("/cases/mine/"))
    assert after.status_code == 302
    assert "/accounts/login/" in after.headers["Location"]


# --- c. the cached public page ----------------------------------------------------------------


def test_a_correction_refreshes_the_cached_results_page_on_both_nodes(fresh, settings):
    campaign = CampaignFactory()  # published
    case = CaseFactory(campaign=campaign, title="更正前的名称")
    admin = UserFactory(administrator=True)
    browser = Browser(fresh)
    page = f"/results/{campaign.year}/"

    # Both nodes render and cache the page.
    seen = {}
    for _ in range(4):
        r = browser.get(page)
        assert r.status_code == 200
        seen[fresh.served_by(r)] = r.text
    assert set(seen) == set(fresh.nodes)
    assert all("更正前的名称" in text for text in seen.values())

    # The office corrects the title (a service call here: staff log in with a second factor);
    # this process's cache is the nodes' Redis, as an office node's would be.
    settings.CACHES = {
        "default": {
            "BACKEND": "common.redis_cache.RedisCache",
            "LOCATION": fresh.cache_url,
            "KEY_PREFIX": "rca",
        }
    }
    with transaction.atomic():
        publication_services.correct_case(
            case=case, by=admin, reason="名称笔误。", changes={"title": "更正后的名称"}
        )

    # Each node re-reads the generation within RESULTS_GENERATION_MEMO_SECONDS (1 s).
    fresh_on = set()

    def both_fresh():
        r = browser.get(page)
        assert r.status_code == 200
        if "更正后的名称" in r.text:
            fresh_on.add(fresh.served_by(r))
        return fresh_on == set(fresh.nodes)

    _wait(both_fresh, "a node still serves the page from before the correction", timeout=5)


# --- d. throttling and limits across nodes ---------------------------------------------------


def test_login_throttling_counts_across_nodes_with_the_clients_address(fresh):
    user = node_user(locality=True)
    browser = Browser(fresh)
    statuses, nodes = [], set()
    for i in range(5):
        # A forged X-Forwarded-For does not make each attempt a new address.
        r = browser.post(
            "/accounts/login/",
            {"username": user.username, "password": "wrong-password"},
            headers={"X-Forwarded-For": f"10.9.{i}.1"},
        )
        statuses.append(r.status_code)
        nodes.add(fresh.served_by(r))
    assert statuses == [200] * 4 + [429]  # the fifth failure locks
    assert nodes == set(fresh.nodes)  # the five failures fell on both nodes

    locked = browser.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD},
        headers={"X-Forwarded-For": "10.9.99.1"},
    )
    assert locked.status_code == 429
    attempts = AccessAttempt.objects.filter(username=user.username)
    # The client's address, neither nginx's nor a forged one.
    assert set(attempts.values_list("ip_address", flat=True)) == {CLIENT_ADDRESS}
    assert sum(a.failures_since_start for a in attempts) >= 5

    # Counted per user name and address: the same user from another address still logs in.
    Browser(fresh, address="127.0.0.4").log_in(user)


def test_the_daily_objection_limit_counts_across_nodes(fresh):
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=5),
    )
    CaseFactory(campaign=campaign)
    browser = Browser(fresh)
    path = f"/results/{campaign.year}/objection/"
    nodes, statuses = set(), []
    for i in range(6):
        r = browser.post(
            path,
            {
                "case": "",
                "name": f"异议人{i}",
                "contact": "13800138000",
                "text": f"第{i}条异议:评选结果的事实依据不足,请予以核实。",
            },
            headers={"X-Forwarded-For": f"10.8.{i}.1"},
        )
        statuses.append(r.status_code)
        nodes.add(fresh.served_by(r))
    assert statuses == [302] * 5 + [200]
    assert "每天最多提交 5 条异议" in r.text
    assert nodes == set(fresh.nodes)
    assert set(Objection.objects.values_list("ip_address", flat=True)) == {CLIENT_ADDRESS}
    assert Objection.objects.count() == 5


# --- f. health and request ids ---------------------------------------------------------------


def test_healthz_answers_through_nginx_and_request_ids_reach_the_logs(fresh):
    browser = Browser(fresh)
    probes = [browser.get("/healthz") for _ in range(2)]
    assert [(r.status_code, r.text.strip()) for r in probes] == [(200, "ok")] * 2

    # nginx makes the id, replacing the client's; the node returns it and logs it.
    r = browser.get("/", headers={"X-Request-ID": "forged-by-the-client"})
    assert r.status_code == 200
    request_id = r.headers["X-Request-ID"]
    assert f"rid={request_id} " in fresh.access_line(r)
    node = fresh.processes[f"node-{fresh.served_by(r)}"]
    # gunicorn's access line (deploy/gunicorn.conf.py), written once the response is sent.
    _wait(lambda: f"rid={request_id}" in node.text(), "the node did not log the id", timeout=5)
    assert "forged-by-the-client" not in node.text()

    # A request that enqueues a task: the worker's lines for it carry the same id.
    UserFactory(administrator=True)
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=5),
    )
    posted = browser.post(
        f"/results/{campaign.year}/objection/",
        {"case": "", "name": "日志测试", "contact": "13800138000", "text": "请核实该名单的依据。"},
    )
    assert posted.status_code == 302
    posted_id = posted.headers["X-Request-ID"]
    assert f"rid={posted_id} " in fresh.access_line(posted)
    _wait(lambda: len(fresh.mail()) == 1, "the objection's e-mail was not sent", timeout=15)
    workers = fresh.processes["worker-a"].text() + fresh.processes["worker-b"].text()
    assert posted_id in workers


# --- g. delivery by two workers ----------------------------------------------------------------


def test_two_workers_deliver_a_batch_exactly_once_each(fresh):
    admins = [UserFactory(administrator=True) for _ in range(40)]
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=5),
    )
    browser = Browser(fresh)
    r = browser.post(
        f"/results/{campaign.year}/objection/",
        {"case": "", "name": "批量通知", "contact": "13800138000", "text": "请核实该名单的依据。"},
    )
    assert r.status_code == 302  # one objection: forty administrators to tell

    _wait(lambda: len(fresh.mail()) >= 40, "not every e-mail arrived", on_timeout=fresh.tails)
    fresh.wait_until_idle()
    messages = fresh.mail()
    assert sorted(str(m["To"]) for m in messages) == sorted(a.email for a in admins)
    rows = Notification.objects.filter(kind=NotificationKind.OBJECTION_RECEIVED)
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    # Both workers took part.
    assert all(file_backend_messages(d) for d in fresh.mail_dirs)


# --- h. the periodic tasks, fired twice at once --------------------------------------------------


def test_periodic_tasks_fired_twice_at_once_send_each_message_once(fresh, settings):
    from config.celery import app as celery_app

    # Pending notifications, as after a broker outage: notify() with nothing listening.
    recipients = [UserFactory() for _ in range(6)]
    down = f"redis://127.0.0.1:{_free_port()}/{BROKER_DB}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with publishing_to(down), transaction.atomic():
        notify(
            recipients,
            kind=NotificationKind.ORGANISATION_CHANGED,
            context={"old_organisation": "测试县甲", "new_organisation": "测试县乙"},
        )
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert Notification.objects.filter(status=DeliveryStatus.PENDING).count() == 6

    # A round closing soon with three experts who have not submitted.
    campaign = reviewing_campaign()
    case = accepted_case_for_review(campaign)
    review_round = make_open_round(
        campaign, cases=[case], closes=timezone.now() + timedelta(hours=30)
    )
    experts = [make_expert() for _ in range(3)]
    for expert in experts:
        confirmed(review_round, case, expert)

    # Two beats (or a beat and an operator) fire every periodic task at the same moment.
    names = [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    with publishing_to(fresh.broker_url):
        for _ in range(2):
            for name in names:
                celery_app.send_task(name)

    _wait(lambda: len(fresh.mail()) >= 9, "the periodic tasks sent too little")
    fresh.wait_until_idle()
    time.sleep(1)  # anything sent twice would have arrived by now
    messages = Counter(str(m["To"]) for m in fresh.mail())
    expected = Counter(u.email for u in recipients + experts)
    assert messages == expected
    assert ReminderSent.objects.count() == 3
    assert set(Notification.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


# --- i. the committee's bundle, on the documents worker ---------------------------------------


def test_a_committee_bundle_is_built_by_the_documents_worker_alone(fresh, settings):
    import zipfile
    from io import BytesIO

    from reviews.documents.bundle_services import request_bundle
    from reviews.models import BundleStatus, CommitteeBundle

    admin = UserFactory(administrator=True)
    campaign = ranking_campaign()
    cases = [accepted_case_for_ranking(campaign, t) for t in ("节点材料包乙", "节点材料包甲")]
    review_round = make_closed_round(campaign, cases=cases)
    ranking_entry(review_round, cases[1], campaign.best, rank=1)
    ranking_entry(review_round, cases[0], None, rank=2)

    settings.CELERY_TASK_ALWAYS_EAGER = False
    with publishing_to(fresh.broker_url), transaction.atomic():
        bundle = request_bundle(review_round=review_round, by=admin)

    def built():
        fresh.check_alive("worker-documents")
        bundle.refresh_from_db()
        return bundle.status in (BundleStatus.READY, BundleStatus.FAILED)

    _wait(built, "the bundle was not built", on_timeout=fresh.tails)
    assert bundle.status == BundleStatus.READY, bundle.error
    # In the bucket (no node's disk), with the cases in ranking order.
    body = fresh.s3.get_object(Bucket=fresh.bucket, Key=bundle.file.name)["Body"].read()
    names = zipfile.ZipFile(BytesIO(body)).namelist()
    assert names.index("001-节点材料包甲/申报书.pdf") < names.index("002-节点材料包乙/申报书.pdf")
    # Routed to the documents queue: its worker ran the task, the general workers did not.
    # ("Task <name>[<id>] received"; the start-up banner lists every task without an id.)
    ran = "Task reviews.tasks.build_committee_bundle["
    assert ran in fresh.processes["worker-documents"].text()
    for name in ("a", "b"):
        assert ran not in fresh.processes[f"worker-{name}"].text()
    assert CommitteeBundle.objects.get(pk=bundle.pk).case_count == 2


# --- e. a node dies (last: it stays dead) -------------------------------------------------------


def _sent(request):
    """The response, or None when the connection broke before a whole one arrived."""
    try:
        return request()
    except requests.RequestException:
        return None


def _status(response):
    return response.status_code if response is not None else None


def test_a_node_killed_mid_run_loses_no_submission(fresh):
    campaign = open_campaign()
    locality = node_user(locality=True)
    browser = Browser(fresh)
    browser.log_in(locality)
    victim = "a"
    killed = threading.Event()

    def kill():
        fresh.processes[f"node-{victim}"].kill(signal.SIGKILL)  # master and workers at once
        killed.set()

    gets, posts, health = [], [], []
    timer = threading.Timer(1.0, kill)
    timer.start()
    try:
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < 4.0:
            title = f"宕机测试{i:03d}"
            data = {"campaign": str(campaign.pk), "title": title, "form_token": str(uuid.uuid4())}
            posts.append((title, _sent(lambda data=data: browser.post("/cases/new/", data))))
            gets.append(_sent(lambda: browser.get("/cases/mine/")))
            health.append(_status(_sent(lambda: browser.get("/healthz"))))
            i += 1
    finally:
        timer.cancel()
    assert killed.is_set()
    assert not fresh.processes[f"node-{victim}"].alive()

    # GETs do not show the failure: nginx sends them on to the node that is up. Only a
    # response the dead node had begun to send when it died could not be sent on (one at most).
    get_statuses = [_status(r) for r in gets]
    assert len(get_statuses) - get_statuses.count(200) <= 1, Counter(get_statuses)
    assert get_statuses[-5:] == [200] * 5
    assert len(health) - health.count(200) <= 1, Counter(health)
    assert health[-5:] == [200] * 5

    # A POST either landed, once, or the client saw an error; none landed twice.
    outcomes = Counter(_status(r) for _title, r in posts)
    assert set(outcomes) <= {302, 502, 503, 504, None}, outcomes
    assert outcomes[302] >= len(posts) - 1  # at most the one in flight on the dead node
    counts = Counter(Case.objects.filter(campaign=campaign).values_list("title", flat=True))
    for title, r in posts:
        if _status(r) == 302:
            assert counts[title] == 1, title
        else:
            assert counts[title] <= 1, title
    assert set(counts) <= {title for title, _r in posts}

    # The run used both nodes; the survivor took everything at the end.
    served = Counter(fresh.served_by(r) for _title, r in posts if _status(r) == 302)
    assert set(served) == set(fresh.nodes)
    assert {fresh.served_by(r) for r in gets[-5:]} == set(fresh.nodes) - {victim}
    # nginx met the dead node and said so: a refused connection, or one cut mid-request,
    # after which it passed the request on.
    port = fresh.nodes[victim]
    errors = (fresh.base / "nginx" / "error.log").read_text(errors="replace")
    met = r"(?:failed \(\d+: [^)]+\)|prematurely closed connection|timed out)"
    assert re.search(rf"{met}.*upstream: \"http://127\.0\.0\.1:{port}/", errors), errors
