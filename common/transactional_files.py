"""Files written inside a transaction are removed again when it rolls back.

A service saves an upload to the store, then writes rows; if a later step fails, the
transaction rolls back and the rows vanish, but the file would stay in the store with no
row pointing at it. Django has `on_commit` and no `on_rollback`, so:

    @transaction.atomic
    def add_attachment(...):
        ...
        save_file(attachment.file, name, upload)  # instead of attachment.file.save(...)
        attachment.save()

`save_file` writes the file and registers a `RollbackGuard` with `transaction.on_commit`.
Django keeps that callback in the connection's list until the outermost transaction
ends, and then either calls it (commit: the file is kept) or drops it unrun — a rollback
of the whole transaction clears the list, a rollback to a savepoint drops the callbacks
registered inside that savepoint. A guard dropped without having been called deletes its
file. So the file goes when the rows it belongs to go, however deep the service sits:

* the service's own atomic block raises → removed at once;
* the service succeeded inside an outer `atomic` that later rolls back (an import, a test's
  transaction) → removed when that outer block rolls back, not before;
* no transaction at all (autocommit) → Django runs the callback at once: kept.

"Dropped" is noticed by CPython's reference counting, the moment Django lets go of the
callback; nothing else holds a guard. A process killed between the file's write and the
rollback still leaves the file behind (the database is rolled back by the server, not by
us): that is the one orphan this cannot prevent.
"""

import logging

from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)


def _pinned(storage):
    """The storage the file was written to, as it is now.

    `default_storage` is a proxy that follows the STORAGES setting, and a FileSystemStorage
    follows MEDIA_ROOT; the deletion must reach the place the file was written to even if a
    setting changes before the rollback (tests override both, then roll back).
    """
    storage.exists  # noqa: B018 - makes the lazy proxy build its storage
    storage = getattr(storage, "_wrapped", storage)
    if isinstance(storage, FileSystemStorage):
        return FileSystemStorage(location=storage.location)
    return storage


class RollbackGuard:
    """Deletes `name` from `storage` unless called (the commit) before it is dropped."""

    def __init__(self, storage, name: str):
        self.storage = storage
        self.name = name
        self.committed = False

    def __call__(self):
        self.committed = True

    def __del__(self):
        if self.committed:
            return
        try:
            self.storage.delete(self.name)
        except Exception as exc:  # a rollback must not fail on a cleanup
            logger.warning(
                "File %s written in a rolled-back transaction could not be removed: %s: %s",
                self.name,
                type(exc).__name__,
                exc,
            )


def save_file(fieldfile, name: str, content, *, using=DEFAULT_DB_ALIAS) -> str:
    """`fieldfile.save(name, content, save=False)`, undone if the transaction rolls back.

    Returns the name the store chose (a suffix is added when `name` is taken).
    """
    fieldfile.save(name, content, save=False)
    transaction.on_commit(RollbackGuard(_pinned(fieldfile.storage), fieldfile.name), using=using)
    return fieldfile.name
