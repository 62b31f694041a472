"""/proc, read by the benches: a process's CPU time with its descendants', and the PostgreSQL
and Redis servers of a run (found by the ports in its environment)."""

import re
from pathlib import Path


def stat_fields(pid) -> list[str] | None:
    """/proc/<pid>/stat after the command name; None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_table(*, with_reaped: bool = True) -> tuple[dict, dict]:
    """(children by parent pid, CPU jiffies by pid) of every process now: user + system, and
    with `with_reaped` the children it has reaped too (exited backends, replaced workers)."""
    children, ticks = {}, {}
    last = 15 if with_reaped else 13
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(entry.name)):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            ticks[int(entry.name)] = sum(int(f) for f in fields[11:last])
    return children, ticks


def tree_ticks(roots, table) -> int:
    """CPU jiffies of these processes and all their descendants, from `process_table()`."""
    children, ticks = table
    total, todo, seen = 0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total


def service_pids(env) -> dict[str, list[int]]:
    """The postmaster and the redis-server answering on this run's ports (DATABASE_URL,
    REDIS_URL in `env`); empty lists for SQLite or no Redis."""
    pg_port = re.search(r":(\d+)/", env.get("DATABASE_URL", "") or "")
    redis_port = re.search(r":(\d+)/", env.get("REDIS_URL", "") or "")
    found = {"postgresql": [], "redis": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        program = cmdline.split(" ", 1)[0]
        if pg_port and "postgres" in program and f"-p {pg_port.group(1)} " in cmdline:
            found["postgresql"].append(int(entry.name))
        if (
            redis_port
            and cmdline.startswith("redis-server")
            and f":{redis_port.group(1)}" in cmdline
        ):
            found["redis"].append(int(entry.name))
    return found
