"""Appending to the audit chain and checking it.

Every audited fact becomes one `AuditRecord` in the transaction that creates it:
`hash = SHA-256(seq | prev_hash | kind | object | canonical content | time)`. Appends lock
the `ChainHead` row, so records form one line whatever the concurrency.

Two kinds of facts are tracked, each registered by the app that owns it (this module
imports no app):

* rows of an audit table (`track_rows`): a record when the row is created, holding the
  row's fields. The row must never change or disappear, and every row must have a record.
* a state that may legitimately change again (`track_state`, e.g. a review's submitted
  scores, an objection's answer): the service appends a record each time; the latest
  record must match the current state wherever the state applies.

`verify()` walks the chain (an edited, removed, inserted or reordered record breaks it)
and then compares every tracked row and state with its latest record.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from audit.models import GENESIS, AuditRecord, ChainHead

__all__ = ["GENESIS", "append", "record_state", "track_rows", "track_state", "verify"]

# --- canonical content ---------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 25, 25.0 and 25.00 are one value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def canonical(content: dict) -> str:
    """One spelling for one content: sorted keys, no spaces, UTF-8, decimals without exponent."""
    return json.dumps(_plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(*, seq: int, prev_hash: str, kind: str, object_type: str, object_id: str,
           content: str, recorded_at: str) -> str:  # fmt: skip
    line = "|".join((str(seq), prev_hash, kind, object_type, object_id, content, recorded_at))
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def record_hash(record: AuditRecord) -> str:
    return digest(
        seq=record.seq,
        prev_hash=record.prev_hash,
        kind=record.kind,
        object_type=record.object_type,
        object_id=record.object_id,
        content=record.content,
        recorded_at=_plain(record.recorded_at),
    )


def row_content(obj: models.Model, exclude: Iterable[str] = ()) -> dict:
    """The concrete fields of a row (foreign keys as ids), less `exclude`."""
    skip = set(exclude)
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.name not in skip and f.attname not in skip
    }


def label(model) -> str:
    return model._meta.label_lower


# --- appending -----------------------------------------------------------------------------


def _locked_head() -> ChainHead:
    """The head row, locked until the caller's transaction ends: appends form one line.
    The very first append creates it (get_or_create survives two first appends at once)."""
    try:
        return ChainHead.objects.select_for_update().get(pk=1)
    except ChainHead.DoesNotExist:
        ChainHead.objects.get_or_create(pk=1)
        return ChainHead.objects.select_for_update().get(pk=1)


def append(*, kind: str, obj: models.Model, content: dict) -> AuditRecord:
    """Chain one fact about `obj`, in the caller's transaction."""
    # No savepoint: a failed append must fail the caller's whole transaction anyway, and the
    # deadline's submits each append twice (two savepoint round trips saved per record).
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        record = AuditRecord(
            seq=head.seq + 1,
            recorded_at=timezone.now().replace(microsecond=0),
            kind=kind,
            object_type=label(type(obj)),
            object_id=str(obj.pk),
            content=canonical(content),
            prev_hash=head.hash,
        )
        record.hash = record_hash(record)
        record.save()
        head.seq, head.hash = record.seq, record.hash
        head.save(update_fields=["seq", "hash"])
    return record


def append_many(*, kind: str, objs: Iterable[models.Model], content: Callable) -> int:
    """Chain many facts at once (bulk inserts that send no signals, e.g. synthetic data)."""
    objs = list(objs)
    if not objs:
        return 0
    with transaction.atomic():
        head = _locked_head()
        now = timezone.now().replace(microsecond=0)
        records, seq, prev = [], head.seq, head.hash
        for obj in objs:
            seq += 1
            record = AuditRecord(
                seq=seq,
                recorded_at=now,
                kind=kind,
                object_type=label(type(obj)),
                object_id=str(obj.pk),
                content=canonical(content(obj)),
                prev_hash=prev,
            )
            record.hash = prev = record_hash(record)
            records.append(record)
        AuditRecord.objects.bulk_create(records, batch_size=2000)
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
    return len(records)


# --- what is tracked -------------------------------------------------------------------------


@dataclass
class Tracked:
    model: type[models.Model]
    kind: str
    content: Callable[[models.Model], dict]
    applies: Callable[[models.Model], bool] = lambda obj: True
    every_row: bool = True  # every row must have a record (audit tables)
    queryset: Callable[[], models.QuerySet] | None = None

    def rows(self) -> models.QuerySet:
        return self.queryset() if self.queryset else self.model._default_manager.all()


@dataclass
class Registry:
    tracked: dict[str, Tracked] = field(default_factory=dict)


REGISTRY = Registry()


def rows_created(objs: Iterable[models.Model]) -> int:
    """Chain rows of a tracked audit table that were bulk-inserted (no signal was sent)."""
    objs = list(objs)
    if not objs:
        return 0
    tracked = REGISTRY.tracked[f"{label(type(objs[0]))}.created"]
    return append_many(kind=tracked.kind, objs=objs, content=tracked.content)


def states_recorded(kind: str, objs: Iterable[models.Model]) -> int:
    """Chain the current state of many objects (bulk paths) under a `track_state` kind."""
    return append_many(kind=kind, objs=objs, content=REGISTRY.tracked[kind].content)


def track_rows(model, *, exclude: Iterable[str] = ()) -> None:
    """Chain every row of an audit table when it is created; it must never change after."""
    kind = f"{label(model)}.created"
    exclude = tuple(exclude)

    def content(obj):
        return row_content(obj, exclude)

    REGISTRY.tracked[kind] = Tracked(model=model, kind=kind, content=content)

    def on_save(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            append(kind=kind, obj=instance, content=content(instance))

    post_save.connect(on_save, sender=model, weak=False, dispatch_uid=f"audit-{kind}")


def track_state(model, kind: str, *, content: Callable, applies: Callable, queryset=None) -> None:
    """A state that services chain with `record_state` each time it is set."""
    REGISTRY.tracked[kind] = Tracked(
        model=model,
        kind=kind,
        content=content,
        applies=applies,
        every_row=False,
        queryset=queryset,
    )


def record_state(kind: str, obj: models.Model) -> AuditRecord:
    """Chain the current state of `obj` under a kind registered with `track_state`."""
    return append(kind=kind, obj=obj, content=REGISTRY.tracked[kind].content(obj))


# --- checking ---------------------------------------------------------------------------------


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self):
        return f"{self.where}: {self.what}"


def verify_chain(records: Iterable[AuditRecord], head: ChainHead | None) -> list[Problem]:
    """The chain itself: numbering, links and hashes, up to the head."""
    problems, expected_seq, prev = [], 1, GENESIS
    for record in records:
        where = f"审计链记录 #{record.seq}"
        if record.seq != expected_seq:
            problems.append(Problem(f"审计链记录 #{expected_seq}", "被删除(编号不连续)"))
        if record.prev_hash != prev:
            problems.append(Problem(where, "前一条记录的哈希不符:其前有记录被删除、插入或改动"))
        if record_hash(record) != record.hash:
            problems.append(Problem(where, "内容被改动(哈希不符)"))
        expected_seq, prev = record.seq + 1, record.hash
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev):
        problems.append(
            Problem(f"审计链记录 #{head.seq}", "链末端与最后一条记录不符:末尾的记录被删除或插入")
        )
    return problems


def verify_tracked(tracked: Tracked, latest: dict[str, AuditRecord]) -> list[Problem]:
    """Rows or states of one kind against their latest records (`latest`: object id → record)."""
    problems, seen = [], set()
    name = tracked.model._meta.verbose_name
    for obj in tracked.rows().iterator(chunk_size=2000):
        key = str(obj.pk)
        seen.add(key)
        if not tracked.applies(obj):
            continue
        where = f"{name} #{key}"
        record = latest.get(key)
        if record is None:
            problems.append(Problem(where, "不在审计链中:绕过应用写入"))
        elif record.content != canonical(tracked.content(obj)):
            problems.append(Problem(where, f"与审计链记录 #{record.seq} 不符:被改动"))
    if tracked.every_row:
        for key, record in latest.items():
            if key not in seen:
                problems.append(Problem(f"{name} #{key}", f"已被删除(审计链记录 #{record.seq})"))
    return problems


def verify() -> list[Problem]:
    """Every problem of the chain and of what it covers, in chain order first."""
    records = AuditRecord.objects.order_by("seq")
    problems = verify_chain(
        records.iterator(chunk_size=5000), ChainHead.objects.filter(pk=1).first()
    )
    for kind, tracked in REGISTRY.tracked.items():
        latest = {}
        for record in (
            AuditRecord.objects.filter(kind=kind).order_by("seq").iterator(chunk_size=5000)
        ):
            latest[record.object_id] = record
        problems += verify_tracked(tracked, latest)
    return problems
