"""Dump and restore the database by vendor, without a whole dump in memory.

PostgreSQL: pg_dump --format=custom / pg_restore --no-owner --single-transaction, the binaries of
the server's major version (a dump made by an older pg_dump than the server is refused by
pg_dump itself), the password in PGPASSWORD, never on the command line. SQLite: the backup API,
which copies a consistent snapshot of a live database page by page (copying the file could catch
a write half done, or miss the WAL).
"""

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections, transaction


class BackupError(Exception):
    """A step failed; the message says which and why, for the operator."""


DUMP_NAMES = {"postgresql": "database/pg_dump.custom", "sqlite": "database/db.sqlite3"}
PG_ROOT = Path("/usr/lib/postgresql")


def vendor(alias: str = "default") -> str:
    name = connections[alias].vendor
    if name not in DUMP_NAMES:
        raise BackupError(f"不支持的数据库:{name}(只支持 PostgreSQL 和 SQLite)")
    return name


@contextlib.contextmanager
def snapshot(alias: str = "default"):
    """One view of the database for the dump, the row counts and the list of stored files, so
    that the manifest describes exactly what was dumped even while the site is in use.

    PostgreSQL: a read-only REPEATABLE READ transaction whose snapshot pg_dump shares
    (--snapshot). SQLite: a deferred read transaction on Django's connection, which the backup
    API reads through; in WAL mode it blocks no writer (Django's own transactions begin
    IMMEDIATE, which would)."""
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("备份不能在事务中进行")
    connection.ensure_connection()
    if vendor(alias) == "postgresql":
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor.fetchone()[0]
        return
    raw = connection.connection
    raw.execute("BEGIN DEFERRED")
    try:
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read begins here
        yield None
    finally:
        raw.execute("COMMIT")


def dump(
    path: Path, *, alias: str = "default", pg_bin: str | None = None, snapshot_id=None
) -> None:
    if vendor(alias) == "postgresql":
        shared = [f"--snapshot={snapshot_id}"] if snapshot_id else []
        _pg_run("pg_dump", ["--format=custom", *shared, "--file", str(path)], alias, pg_bin)
    else:
        _sqlite_dump(path, alias)


def restore(path: Path, *, alias: str = "default", pg_bin: str | None = None) -> None:
    connection = connections[alias]
    if vendor(alias) == "postgresql":
        # Our own idle session must hold no lock on the tables pg_restore drops and creates.
        connection.close()
        # --clean --if-exists: a migrated but empty database (tables, no rows) is restorable too.
        _pg_run(
            "pg_restore",
            ["--no-owner", "--no-privileges", "--single-transaction", "--clean", "--if-exists",
             "--exit-on-error", str(path)],
            alias,
            pg_bin,
            database_flag=True,
        )  # fmt: skip
    else:
        _sqlite_restore(path, alias)
    connection.close()  # the next query opens a session that sees the restored schema


def _sqlite_dump(path: Path, alias: str) -> None:
    connection = connections[alias]
    target = sqlite3.connect(path)
    try:
        with target:
            connection.connection.backup(target)
    finally:
        target.close()


def _sqlite_restore(path: Path, alias: str) -> None:
    """Copy the dump into Django's own connection: the backup API replaces every page of the
    target in one step, whether it is a file (other connections see the new content at their
    next transaction) or the shared in-memory database of the tests."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problem = source.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"归档中的 SQLite 数据库已损坏:{problem}")
        connection = connections[alias]
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise BackupError("恢复不能在事务中进行")
        source.backup(connection.connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite 数据库无法恢复:{exc}") from exc
    finally:
        source.close()


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_env(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
    }
    for key, value in values.items():
        if value:
            env[key] = str(value)
    return env


def server_major(alias: str = "default") -> int:
    connection = connections[alias]
    connection.ensure_connection()
    version = connection.pg_version  # e.g. 150018
    return version // 10000 if version >= 100000 else version // 100


def _major_of(binary: str) -> int | None:
    try:
        run = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\)\s+(\d+)", run.stdout)
    return int(found.group(1)) if found else None


def find_pg_binary(name: str, *, alias: str = "default", pg_bin: str | None = None) -> str:
    """`pg_bin/name` when given; else the one on PATH when its major version is the server's;
    else /usr/lib/postgresql/<major>/bin/name (where Debian keeps each version)."""
    if pg_bin:
        candidate = Path(pg_bin) / name
        if not candidate.is_file():
            raise BackupError(f"--pg-bin 目录中没有 {name}:{candidate}")
        return str(candidate)
    major = server_major(alias)
    on_path = shutil.which(name)
    if on_path and _major_of(on_path) == major:
        return on_path
    candidate = PG_ROOT / str(major) / "bin" / name
    if candidate.is_file():
        return str(candidate)
    raise BackupError(
        f"找不到与 PostgreSQL 服务器(第 {major} 版)同版本的 {name};请安装或用 --pg-bin 指定目录"
    )


def _pg_run(
    name: str, arguments: list[str], alias: str, pg_bin: str | None, *, database_flag=False
) -> None:
    settings_dict = connections[alias].settings_dict
    binary = find_pg_binary(name, alias=alias, pg_bin=pg_bin)
    command = [binary, *arguments]
    if database_flag:  # pg_restore reads the target from --dbname only (PGDATABASE is ignored)
        command[1:1] = ["--dbname", settings_dict["NAME"]]
    run = subprocess.run(
        command, env=_pg_env(settings_dict), capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise BackupError(f"{name} 失败(退出码 {run.returncode}):{run.stderr.strip()[-2000:]}")
