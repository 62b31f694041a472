"""HTTP throughput and latency under gunicorn (2 workers, production settings), beside a trivial view.

    .venv/bin/python bench/http_load.py                                  # SQLite
    bash scripts/services.sh exec .venv/bin/python bench/http_load.py --pg   # PostgreSQL (+ Redis)

Builds the data with `bench/queries.py --prepare-only` (migrate, `setup_site
--no-demo`, `seed_demo` at 50 and at 5,000 cases, each campaign made public in
the bench's own database, a session per role), runs `collectstatic` into a
temporary STATIC_ROOT, starts gunicorn on a free loopback port with
`bench.settings_http` (config.settings.production plus /bench/trivial/), and
drives it with wrk (-t2 -c16 for throughput, -t1 -c1 for one client's latency),
every request carrying `X-Forwarded-Proto: https` as the proxy would. Every page is
checked first (HTTP 200 and its expected content) and wrk counts any other status.
Peak RSS of the workers is their VmHWM. gunicorn is stopped at the end whatever
happens. Replaces the SQLite or the PostgreSQL part of the `bench:http` section of
BENCHMARKS.md.
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
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bench.processes import process_table, service_pids, tree_ticks  # noqa: E402
from bench.report import machine_line  # noqa: E402

SECTION = "http"
PYTHON = sys.executable
SQLITE_DB = "/tmp/bench-http.sqlite3"
TRIVIAL = "/bench/trivial/"
# IPv6 loopback: with sync workers every request is a new connection, and tens of thousands
# of client sockets in TIME_WAIT on 127.0.0.1 would make other programs' bind() on
# 127.0.0.1 fail (a test suite starting PostgreSQL, say). Django still sees Host: 127.0.0.1.
LOOPBACK = "::1"
HOST = "127.0.0.1"
TARGET_RATIO = 0.5
TARGET_RANKING_MS = 200.0

COUNTER_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) other = 0 end
function response(status, headers, body) if status ~= 200 then other = other + 1 end end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("other") end
  io.write(string.format("NON200 %d\\n", n))
end
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET6) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def run(cmd, *, env, timeout, what):
    started = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, cwd=ROOT, timeout=timeout, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{what} failed (exit {done.returncode})")
    return time.perf_counter() - started


def fetch(port, path, cookie=None, timeout=60):
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    headers = {"X-Forwarded-Proto": "https", "Host": HOST}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def wait_ready(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            status, _body = fetch(port, TRIVIAL, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def workers_of(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces, so split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy() -> int:
    """Busy jiffies of the whole machine so far (every CPU)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


def tree_ticks_now(roots) -> int:
    """CPU jiffies of these processes and all their descendants (alive ones)."""
    return tree_ticks(roots, process_table(with_reaped=False))


def service_roots(env) -> list[int]:
    """The PostgreSQL postmaster and redis-server answering on this run's ports, if any."""
    found = service_pids(env)
    return [*found["postgresql"], *found["redis"]]


def own_ticks() -> int:
    """This process and the children it has reaped (wrk, the data preparation…)."""
    times = os.times()
    hz = os.sysconf("SC_CLK_TCK")
    return round((times.user + times.system + times.children_user + times.children_system) * hz)


def wait_idle(master: int, timeout=60.0):
    """Until the workers stop using CPU: requests queued by a finished wrk run are still served."""
    deadline = time.monotonic() + timeout
    previous, quiet = None, 0
    while time.monotonic() < deadline:
        ticks = cpu_ticks(workers_of(master))
        quiet = quiet + 1 if ticks == previous else 0
        if quiet >= 2:
            return
        previous = ticks
        time.sleep(0.2)


def peak_rss_mb(pids) -> dict[int, float]:
    peaks = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return peaks


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk(port, path, *, cookie, threads, connections, duration, lua):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    cmd += ["--timeout", "10s", "-s", lua, "-H", "X-Forwarded-Proto: https", "-H", f"Host: {HOST}"]
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}"]
    cmd.append(f"http://[{LOOPBACK}]:{port}{path}")
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        result[f"p{pct}"] = _ms(re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(g) for g in errors.groups()) if errors else 0
    result["timeouts"] = int(errors.group(4)) if errors else 0
    result["non200"] = int(re.search(r"NON200 (\d+)", out).group(1))
    return result


def targets(data) -> list[dict]:
    """Pages to load, each with the content that proves it is the real page."""
    items = []
    for info in data:
        size = f"{info['cases']:,}"
        items += [
            {"size": size, "label": "`/results/<year>/` (public, cached)", "key": "results",
             "path": f"/results/{info['year']}/", "cookie": None, "marker": info["case_title"]},
            {"size": size, "label": "`/cases/<id>/` (public, cached)", "key": "case",
             "path": f"/cases/{info['case']}/", "cookie": None, "marker": info["case_title"]},
            {"size": size, "label": f"expert `/review/` ({info['expert_assignments']} cases)",
             "key": "review", "path": "/review/", "cookie": info["expert_session"],
             "marker": f"/review/{info['assignment']}/"},
            {"size": size, "label": f"admin ranking page ({min(info['cases'], 250)} rows)",
             "key": "ranking", "path": f"/manage/rounds/{info['round']}/ranking/",
             "cookie": info["admin_session"], "marker": 'id="entry-',
             "rows": min(info["cases"], 250)},
        ]  # fmt: skip
    return items


def check(port, item):
    status, body = fetch(port, item["path"], item["cookie"])
    if status != 200 or item["marker"] not in body:
        raise SystemExit(
            f"{item['path']} ({item['size']}): HTTP {status}, marker {'found' if item['marker'] in body else 'missing'}"
        )
    if "rows" in item:
        rows = body.count(item["marker"])
        if rows != item["rows"]:
            raise SystemExit(f"{item['path']}: {rows} rows, expected {item['rows']}")
    return len(body.encode())


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # gunicorn's own session: master and workers
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def fmt_ms(value):
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def measure(args, backend, database_url, workdir):
    secret = secrets.token_urlsafe(50)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    if backend == "sqlite":
        env.pop("REDIS_URL", None)
        env.pop("CELERY_BROKER_URL", None)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    cache = "Redis" if env.get("REDIS_URL") else "local memory"
    data_file = workdir / "data.json"
    prepare_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    print(f"[{backend}] preparing data…", flush=True)
    seconds = run(
        [PYTHON, "bench/queries.py", "--prepare-only", "--out", str(data_file),
         "--media-root", str(workdir / "media")],
        env=prepare_env, timeout=args.prepare_timeout, what="data preparation",
    )  # fmt: skip
    data = json.loads(data_file.read_text(encoding="utf-8"))
    print(f"[{backend}] data ready in {seconds:.0f} s; collectstatic…", flush=True)
    serve_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_http"}
    run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=serve_env, timeout=300, what="collectstatic",
    )  # fmt: skip
    lua = workdir / "count.lua"
    lua.write_text(COUNTER_LUA)
    trivial = {"size": "—", "label": "trivial view", "key": "trivial",
               "path": TRIVIAL, "cookie": None, "marker": "ok"}  # fmt: skip
    plan = [{**trivial, "label": "trivial view `/bench/trivial/` (start)"}]
    items = targets(data)
    for i, item in enumerate(items):
        if i and item["size"] != items[i - 1]["size"]:
            plan.append({**trivial, "label": "trivial view (between the sizes)"})
        plan.append(item)
    plan.append({**trivial, "label": "trivial view (end)"})
    result = serve(args, backend, serve_env, workdir, lua, plan)
    result.update({"backend": backend, "cache": cache, "data": data, "prepare_s": seconds})
    if env.get("REDIS_URL") and args.compare_local_cache:
        # What the shared cache costs the anonymous page: the same pages with local memory.
        print(f"[{backend}] again with the local-memory cache, for comparison…", flush=True)
        local_env = {k: v for k, v in serve_env.items() if k != "REDIS_URL"}
        public = [{**trivial, "label": "trivial view (start)"}]
        public += [i for i in items if i["key"] == "results"]
        public.append({**trivial, "label": "trivial view (end)"})
        result["local_cache"] = serve(args, backend, local_env, workdir, lua, public)
    return result


def serve(args, backend, serve_env, workdir, lua, plan) -> dict:
    """Start gunicorn, load every page of `plan` in turn, stop gunicorn (whatever happens)."""
    port = free_port()
    log = workdir / "gunicorn.log"
    proc = None
    rows = []
    try:
        proc = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi:application", "--workers", "2",
             "--bind", f"[{LOOPBACK}]:{port}", "--chdir", str(ROOT), "--error-logfile", str(log),
             "--log-level", "warning", "--timeout", "60"],
            env=serve_env, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_ready(port, proc)
        workers = workers_of(proc.pid)
        print(f"[{backend}] gunicorn on [{LOOPBACK}]:{port}, workers {workers}", flush=True)

        roots = [proc.pid, *service_roots(serve_env)]

        def snapshot():
            return time.monotonic(), machine_busy(), own_ticks() + tree_ticks_now(roots)

        def others_since(snap):
            """Share of the machine's CPU used by programs other than this benchmark's."""
            now = snapshot()
            capacity = (now[0] - snap[0]) * os.sysconf("SC_CLK_TCK") * os.cpu_count()
            return max(0.0, ((now[1] - snap[1]) - (now[2] - snap[2])) / capacity)

        def load(item):
            wait_idle(proc.pid)
            size = check(port, item)
            common = {"port": port, "cookie": item["cookie"], "lua": str(lua), "path": item["path"]}
            wrk(**common, threads=args.threads, connections=args.connections, duration=2)  # warm-up
            best, failures = None, 0
            for attempt in range(1, args.retries + 2):
                wait_idle(proc.pid)
                snap = snapshot()
                busy = wrk(
                    **common,
                    threads=args.threads,
                    connections=args.connections,
                    duration=args.duration,
                )
                wait_idle(proc.pid)
                alone = wrk(**common, threads=1, connections=1, duration=args.single_duration)
                others = others_since(snap)
                failures += busy["non200"] + alone["non200"]
                failures += busy["socket_errors"] + alone["socket_errors"]
                print(
                    f"[{backend}] {item['size']:>5} {item['label']}: {busy['rps']:.0f} req/s, "
                    f"p50 {busy['p50']:.1f} ms, p99 {busy['p99']:.1f} ms; one client p50 "
                    f"{alone['p50']:.1f} ms; non-200 {busy['non200'] + alone['non200']}; "
                    f"other programs {others:.0%} CPU (attempt {attempt})",
                    flush=True,
                )
                if best is None or others < best["others"]:
                    best = {"busy": busy, "alone": alone, "others": others, "attempt": attempt}
                if others <= args.max_others:
                    break
            peak = max(peak_rss_mb(workers_of(proc.pid)).values(), default=0.0)
            return {**item, "bytes": size, "peak_mb": peak, "failures": failures, **best}

        started = snapshot()
        for item in plan:
            rows.append(load(item))
        others = others_since(started)
        final_workers = workers_of(proc.pid)
        peaks = peak_rss_mb(final_workers)
    finally:
        stop(proc)
    return {
        "rows": rows,
        "peaks": peaks,
        "restarted": sorted(set(final_workers) ^ set(workers)),
        "others": others,
        "log_tail": log.read_text(errors="replace")[-2000:] if log.exists() else "",
    }


def best_trivial(rows) -> float:
    # The best of the trivial runs: another program's burst can only lower a run.
    return max(r["busy"]["rps"] for r in rows if r["key"] == "trivial")


def table(rows) -> str:
    base = best_trivial(rows)
    lines = [
        "| cases | page | req/s (c16) | × trivial | p50 ms | p99 ms | one client p50 / p99 ms "
        "| worker peak RSS so far | other programs' CPU |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, a = r["busy"], r["alone"]
        ratio = b["rps"] / base
        shown = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"
        lines.append(
            f"| {r['size']} | {r['label']} | {b['rps']:,.0f} | {shown} | {fmt_ms(b['p50'])} "
            f"| {fmt_ms(b['p99'])} | {fmt_ms(a['p50'])} / {fmt_ms(a['p99'])} | {r['peak_mb']:.0f} MB "
            f"| {r['others']:.0%} |"
        )
    return "\n".join(lines)


def report(args, result) -> str:
    rows = result["rows"]
    trivials = [r["busy"]["rps"] for r in rows if r["key"] == "trivial"]
    base = best_trivial(rows)
    verdicts = []
    for r in rows:
        if r["key"] == "results":
            ratio = r["busy"]["rps"] / base
            verdicts.append(
                f"- public results page at {r['size']} cases: {ratio:.0%} of the trivial view "
                f"(target ≥ 50%): "
                + (
                    "**met**"
                    if ratio >= TARGET_RATIO
                    else f"**missed** by {(TARGET_RATIO - ratio) * 100:.0f} percentage points"
                )
            )
        if r["key"] == "ranking":
            alone = r["alone"]["p50"]
            verdicts.append(
                f"- ranking page at {r['size']} cases ({r['rows']} rows): one client p50 "
                f"{fmt_ms(alone)} ms, p99 {fmt_ms(r['alone']['p99'])} ms (target ≤ 200 ms): "
                + (
                    "**met**"
                    if alone <= TARGET_RANKING_MS
                    else f"**missed** by {alone - TARGET_RANKING_MS:.0f} ms ({alone / TARGET_RANKING_MS:.1f}×)"
                )
                + f"; under 16 connections p50 {fmt_ms(r['busy']['p50'])} ms"
            )
    bad = [
        f"{r['size']} {r['label']}: {r['failures']} non-200 responses or socket errors"
        for r in rows
        if r["failures"]
    ]
    peaks = ", ".join(f"{mb:.0f} MB" for mb in result["peaks"].values())
    name = "PostgreSQL" if result["backend"] == "postgresql" else "SQLite"
    command = (
        "bash scripts/services.sh exec .venv/bin/python bench/http_load.py --pg"
        if result["backend"] == "postgresql"
        else ".venv/bin/python bench/http_load.py"
    )
    text = [
        f"### {name} ({result['cache']} cache)",
        "",
        f"`{command}`, run {time.strftime('%Y-%m-%d', time.gmtime())} — gunicorn 2 sync workers on `[::1]` (requests carry `Host: 127.0.0.1` "
        "and `X-Forwarded-Proto: https`), `bench.settings_http` (production settings, "
        f"DEBUG off, whitenoise after collectstatic), wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s after a 2 s warm-up, then -t1 -c1 -d{args.single_duration}s for one "
        f"client's latency; wrk and gunicorn share the 2 cores. Trivial view: "
        f"{', '.join(f'{t:,.0f}' for t in trivials)} req/s (start, between the sizes, end); "
        f"ratios against the best, {base:,.0f} req/s. A page measured while other programs "
        f"took more than {args.max_others:.0%} of the CPU is measured again (up to {args.retries} "
        "more times) and the least disturbed attempt kept; the last column says how disturbed it "
        "was. Before each run the bench waits for the workers to be idle "
        "(a finished wrk leaves queued requests behind). Data prepared in "
        f"{result['prepare_s']:.0f} s. Other programs on the machine used "
        f"{result['others']:.0%} of its CPU time during the load (0% is a quiet machine).",
        "",
        table(rows),
        "",
        *verdicts,
        f"- peak RSS of the workers (VmHWM) at the end: {peaks}"
        + (
            f"; workers replaced during the run: {result['restarted']}"
            if result["restarted"]
            else ""
        ),
    ]
    if bad:
        text += ["- **errors:** " + "; ".join(bad)]
    else:
        text += ["- every request answered 200 (pages checked for their content before the load)"]
    local = result.get("local_cache")
    if local:
        local_base = best_trivial(local["rows"])
        ratios = {
            r["size"]: r["busy"]["rps"] / local_base for r in local["rows"] if r["key"] == "results"
        }
        redis_ratios = {r["size"]: r["busy"]["rps"] / base for r in rows if r["key"] == "results"}
        text += [
            "",
            f"Same database, same data, a second gunicorn with the local-memory cache instead of "
            f"Redis (only the public results page beside the trivial view): other programs "
            f"{local['others']:.0%} of the CPU.",
            "",
            table(local["rows"]),
            "",
            "- public results page with Redis / with local memory: "
            + "; ".join(
                f"{size} cases {redis_ratios.get(size, 0):.0%} / {ratio:.0%} of the trivial view"
                for size, ratio in ratios.items()
            )
            + ". An anonymous hit never touches the database: the difference is the cache layer.",
        ]
    return "\n".join(text)


def write_part(name: str, part: str, body: str) -> Path:
    """Replace one part (sqlite or postgresql) inside this bench's section of BENCHMARKS.md."""
    path = ROOT / "BENCHMARKS.md"
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    pstart, pend = f"<!-- {name}:{part} -->", f"<!-- /{name}:{part} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        text = f"# Benchmarks\n\n{machine_line()}\n"
    section = re.compile(re.escape(start) + r"(.*?)" + re.escape(end), re.S)
    found = section.search(text)
    inner = found.group(1) if found else ""
    if "## HTTP" not in inner:
        inner = (
            "\n## HTTP under load (issue 10)\n\n"
            "Targets (DESIGN.md): public `/results/<year>/` ≥ 50% of the trivial view's "
            "throughput; administrator's ranking page (250 rows) ≤ 200 ms.\n"
        )
    block = f"{pstart}\n{body.strip()}\n{pend}"
    part_re = re.compile(re.escape(pstart) + r".*?" + re.escape(pend), re.S)
    if part_re.search(inner):
        inner = part_re.sub(lambda _m: block, inner, count=1)
    else:
        order = ["sqlite", "postgresql"]
        # Keep SQLite before PostgreSQL whatever order the runs come in.
        later = [p for p in order[order.index(part) + 1 :] if f"<!-- {name}:{p} -->" in inner]
        if later:
            marker = f"<!-- {name}:{later[0]} -->"
            inner = inner.replace(marker, block + "\n\n" + marker, 1)
        else:
            inner = inner.rstrip("\n") + "\n\n" + block + "\n"
    whole = f"{start}{inner}{end}"
    if found:
        text = section.sub(lambda _m: whole, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + whole + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        nargs="?",
        const=os.environ.get("DATABASE_URL", ""),
        default=None,
        metavar="DATABASE_URL",
        help="benchmark PostgreSQL (default: $DATABASE_URL, as scripts/services.sh exec sets it)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=8, help="seconds per page under load")
    parser.add_argument("--single-duration", type=int, default=4, help="seconds, one client")
    parser.add_argument("--prepare-timeout", type=int, default=900)
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.10,
        help="share of the CPU other programs may take before a page is measured again",
    )
    parser.add_argument("--retries", type=int, default=2, help="extra attempts per page")
    parser.add_argument(
        "--compare-local-cache",
        action="store_true",
        help="with Redis: measure the public results page again with the local-memory cache",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    if args.pg is not None:
        if not args.pg.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--pg needs a PostgreSQL DATABASE_URL (scripts/services.sh exec …)")
        backend, database_url = "postgresql", args.pg
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(SQLITE_DB + suffix).unlink(missing_ok=True)
        backend, database_url = "sqlite", f"sqlite:///{SQLITE_DB}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    try:
        result = measure(args, backend, database_url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(SQLITE_DB + suffix).unlink(missing_ok=True)
    text = report(args, result)
    print(text)
    if result["log_tail"].strip():
        print("gunicorn log (tail):\n" + result["log_tail"])
    if not args.no_write:
        print(f"written to {write_part(SECTION, backend, text)}")


if __name__ == "__main__":
    main()
