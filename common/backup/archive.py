"""The archive: `database/…` (the dump), `files/<storage name>` (each stored file, streamed),
and `manifest.json` last, since it carries the hashes computed while the files were streamed.

Writing never holds a whole file in memory: a file is read from the storage in chunks, hashed
on the way into the tar. Reading refuses what is not one of our archives (no manifest, another
format, a member missing or of another size or hash) with a `BackupError`, never a traceback.
"""

import contextlib
import hashlib
import io
import json
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.utils import timezone

from common.backup import database
from common.backup.database import BackupError
from common.backup.manifest import (
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    header,
    row_counts,
    sha256_of,
    stored_file_names,
)

MANIFEST = "manifest.json"
FILES = "files/"
READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, ValueError, KeyError)


class _Hashing(io.RawIOBase):
    """Reads through to `fileobj`, hashing and counting what passes."""

    def __init__(self, fileobj):
        self.fileobj, self.digest, self.size = fileobj, hashlib.sha256(), 0

    def readable(self):
        return True

    def read(self, n=-1):
        chunk = self.fileobj.read(n if n and n > 0 else CHUNK)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    missing: list[str] = field(default_factory=list)


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(timezone.now().timestamp()), 0o644
    return info


def write_backup(
    output: Path, *, alias="default", pg_bin=None, strict=False, log=lambda line: None
) -> BackupResult:
    """Dump the database, stream every stored file, then write the manifest; gzip when the
    name ends in .gz / .tgz. On any error the half-written archive is removed."""
    output = Path(output)
    mode = "w:gz" if output.name.endswith((".gz", ".tgz")) else "w"
    vendor = database.vendor(alias)
    manifest = header(vendor=vendor, created=timezone.now().isoformat())
    partial = output.with_name(output.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="backup-") as scratch:
            dump_path = Path(scratch) / "dump"
            with database.snapshot(alias) as snapshot_id:
                database.dump(dump_path, alias=alias, pg_bin=pg_bin, snapshot_id=snapshot_id)
                manifest["row_counts"] = row_counts(alias)
                names = stored_file_names(alias)
            with tarfile.open(partial, mode, format=tarfile.PAX_FORMAT) as tar:
                with dump_path.open("rb") as dump:
                    digest, size = sha256_of(dump)
                dump_name = database.DUMP_NAMES[vendor]
                tar.add(dump_path, arcname=dump_name, recursive=False)
                manifest["database"] = {"member": dump_name, "size": size, "sha256": digest}
                log(f"数据库:{size:,} 字节")
                files, missing = _add_files(tar, names, log)
                if missing and strict:
                    raise BackupError(f"{len(missing)} 个文件缺失(--strict),第一个:{missing[0]}")
                manifest["files"], manifest["missing_files"] = files, missing
                body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                tar.addfile(_member(MANIFEST, len(body)), io.BytesIO(body))
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=output, manifest=manifest, missing=missing)


def _add_files(tar: tarfile.TarFile, names: list[str], log) -> tuple[list[dict], list[str]]:
    files, missing = [], []
    for name in names:
        try:
            if not default_storage.exists(name):
                raise FileNotFoundError(name)
            size = default_storage.size(name)
            with default_storage.open(name, "rb") as stored:
                reader = _Hashing(stored)
                tar.addfile(_member(FILES + name, size), reader)
        except FileNotFoundError:
            missing.append(name)
            log(f"警告:文件缺失 {name}")
            continue
        except OSError as exc:  # shorter than its size said: changed while being read
            raise BackupError(f"文件 {name} 读取失败或在备份时被改动:{exc}") from exc
        files.append({"name": name, "size": size, "sha256": reader.digest.hexdigest()})
    return files, missing


# --- reading -------------------------------------------------------------------------------


@dataclass
class Archive:
    """An open archive whose manifest has been read and checked for shape."""

    tar: tarfile.TarFile
    manifest: dict
    members: dict[str, tarfile.TarInfo]

    @property
    def file_names(self) -> list[str]:
        return [entry["name"] for entry in self.manifest["files"]]

    def member(self, name: str) -> tarfile.TarInfo:
        info = self.members.get(name)
        if info is None or not info.isfile():
            raise BackupError(f"归档不完整:缺少 {name}")
        return info

    def extract(self, name: str):
        return self.tar.extractfile(self.member(name))

    def close(self):
        self.tar.close()


@contextlib.contextmanager
def open_archive(path: Path):
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到归档文件:{path}")
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 (closed in the finally below)
    except READ_ERRORS as exc:
        raise BackupError(f"不是可读的备份归档(tar 或 tar.gz):{path}({exc})") from exc
    try:
        try:
            members = {info.name: info for info in tar.getmembers()}
            if MANIFEST not in members:
                raise BackupError(f"不是本平台的备份归档:没有 {MANIFEST},或归档被截断")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read().decode())
        except READ_ERRORS as exc:
            raise BackupError(f"归档已损坏或被截断:{exc}") from exc
        _check_shape(manifest)
        yield Archive(tar=tar, manifest=manifest, members=members)
    finally:
        tar.close()


def _check_shape(manifest) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("不是本平台的备份归档:清单格式不符")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"备份格式版本 {manifest.get('format_version')} 与本程序({FORMAT_VERSION})不符"
        )
    files, counts, db = manifest.get("files"), manifest.get("row_counts"), manifest.get("database")
    if not (
        isinstance(files, list)
        and all(isinstance(f, dict) and {"name", "size", "sha256"} <= set(f) for f in files)
        and isinstance(counts, dict)
        and isinstance(db, dict)
        and {"member", "sha256", "size"} <= set(db)
    ):
        raise BackupError("备份清单不完整")
    for entry in files:
        try:  # a name that would leave the store (absolute, "..") is refused before any write
            if not isinstance(entry["name"], str) or not entry["name"]:
                raise SuspiciousFileOperation(repr(entry["name"]))
            validate_file_name(entry["name"], allow_relative_path=True)
        except SuspiciousFileOperation as exc:
            raise BackupError(f"备份清单中有不允许的文件名:{exc}") from exc


def verify_members(archive: Archive, log=lambda line: None) -> list[str]:
    """Every member against the manifest (size and SHA-256): the archive before anything is
    changed. Returns the problems, each naming the member."""
    problems = []
    entries = [(archive.manifest["database"]["member"], archive.manifest["database"])]
    entries += [(FILES + entry["name"], entry) for entry in archive.manifest["files"]]
    for member, entry in entries:
        try:
            digest, size = sha256_of(archive.extract(member))
        except BackupError as exc:
            problems.append(str(exc))
            continue
        except READ_ERRORS as exc:
            raise BackupError(f"归档已损坏或被截断(读取 {member} 时):{exc}") from exc
        if size != entry["size"] or digest != entry["sha256"]:
            problems.append(f"归档中的 {member} 与清单不符(SHA-256 {digest[:12]}…)")
    log(f"归档核对:{len(entries)} 项,{len(problems)} 处不符")
    return problems


def clashing_names(archive: Archive) -> list[str]:
    return [name for name in archive.file_names if default_storage.exists(name)]


def restore_database(archive: Archive, *, alias="default", pg_bin=None) -> None:
    vendor = database.vendor(alias)
    if archive.manifest.get("database_vendor") != vendor:
        raise BackupError(
            f"归档中的数据库是 {archive.manifest.get('database_vendor')},目标数据库是 {vendor}"
        )
    with tempfile.TemporaryDirectory(prefix="restore-") as scratch:
        dump_path = Path(scratch) / "dump"
        with dump_path.open("wb") as target:
            source = archive.extract(archive.manifest["database"]["member"])
            while chunk := source.read(CHUNK):
                target.write(chunk)
        database.restore(dump_path, alias=alias, pg_bin=pg_bin)


def restore_files(archive: Archive, *, force=False, log=lambda line: None) -> int:
    """Each file under its exact storage name: rows point at those names."""
    for entry in archive.manifest["files"]:
        name = entry["name"]
        if force and default_storage.exists(name):
            default_storage.delete(name)
        content = File(archive.extract(FILES + name), name=name)
        content.size = entry["size"]
        saved = default_storage.save(name, content)
        if saved != name:
            default_storage.delete(saved)
            raise BackupError(f"存储把 {name} 存成了 {saved}:名称必须保持不变")
    log(f"文件:{len(archive.manifest['files'])} 个已写回存储")
    return len(archive.manifest["files"])


def check_restored(manifest: dict, *, alias="default") -> list[str]:
    """The restored site against the manifest: rows per model and every file's SHA-256."""
    problems = []
    counts = row_counts(alias)
    for label, expected in sorted(manifest["row_counts"].items()):
        found = counts.get(label)
        if found != expected:
            problems.append(f"{label}:清单 {expected} 行,恢复后 {found} 行")
    for entry in manifest["files"]:
        name = entry["name"]
        try:
            with default_storage.open(name, "rb") as stored:
                digest, size = sha256_of(stored)
        except FileNotFoundError:
            problems.append(f"文件 {name}:恢复后不在存储中")
            continue
        if digest != entry["sha256"] or size != entry["size"]:
            problems.append(f"文件 {name}:SHA-256 与清单不符")
    return problems
