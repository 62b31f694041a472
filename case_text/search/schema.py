"""The database side of the search index, by vendor (run by migration 0003_search).

PostgreSQL: a generated tsvector column over the words `SearchEntry` holds, GIN-indexed.
The two-argument `to_tsvector('simple', …)` is immutable, as a generated column requires;
'simple' only lower-cases (no stemming, no stop words: jieba's words are already final).

SQLite: an FTS5 table whose content is `case_text_searchentry` (external content: the words
are stored once), rowid = case id, kept in step by triggers on that table. On SQLite, Django
rebuilds a table to alter it, which drops its triggers: a later migration that alters
`SearchEntry` must run `drop_index` before and `create_index` after.
"""

ENTRY_TABLE = "case_text_searchentry"
FTS_TABLE = "case_text_search_fts"
COLUMNS = ("title_terms", "public_terms", "private_terms")

_NEW = ", ".join(f"new.{c}" for c in COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in COLUMNS)
_COLS = ", ".join(COLUMNS)

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_COLS}, content='{ENTRY_TABLE}', "
    "content_rowid='case_id', tokenize='unicode61')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {ENTRY_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.case_id, {_NEW}); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {ENTRY_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.case_id, {_OLD}); "
    "END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE ON {ENTRY_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.case_id, {_OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.case_id, {_NEW}); END",
    # Entries written before the table existed (none in a fresh database).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

POSTGRES_CREATE = [
    f"ALTER TABLE {ENTRY_TABLE} ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, public_terms), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, private_terms), 'D')) STORED",
    f"CREATE INDEX case_text_search_document ON {ENTRY_TABLE} USING GIN (document)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS case_text_search_document",
    f"ALTER TABLE {ENTRY_TABLE} DROP COLUMN IF EXISTS document",
]

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}


def create_index(apps, schema_editor):
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def tidy_after_rebuild(alias: str = "default") -> bool:
    """After many entries were written at once: PostgreSQL merges the GIN index's pending
    list and refreshes the planner's statistics (VACUUM ANALYZE: without it, a rare word
    took 65 ms instead of 1 ms on 10,000 cases until autovacuum came by); SQLite merges the
    FTS5 index's segments. VACUUM cannot run in a transaction: False, and nothing done, when
    called inside one."""
    from django.db import connections

    connection = connections[alias]
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {ENTRY_TABLE}")
        elif connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
    return True
