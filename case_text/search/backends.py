"""The two backends of the search: PostgreSQL full text and SQLite FTS5, one interface.

Each answers two questions about the cases of a queryset (`allowed`: the public cases, or a
campaign's cases for the office, with the page's filters) that hold every query word:
how many there are, and the ids of one page of them in relevance order. Both are one query;
`allowed` is compiled into it as a subquery, so visibility is decided by the same queryset the
rest of the site uses (`Case.objects.public()`), never re-written here.

Order: a case whose title holds a query word comes before one that holds them only in its
text; then relevance (PostgreSQL `ts_rank` over the weights below, FTS5 `bm25` over the
column weights below); then the case id, so that pages never overlap.
"""

from django.db import connections
from django.db.models import QuerySet

from case_text.search.parts import Scope
from case_text.search.schema import ENTRY_TABLE, FTS_TABLE

# ts_rank's weights of the labels {D, C, B, A}: background, -, public sections, title.
# The public scope's query matches only A and B (the ':AB' label on each word).
PG_WEIGHTS = {Scope.PUBLIC: "{0, 0, 0.4, 1.0}", Scope.ALL: "{0.2, 0, 0.4, 1.0}"}
PG_LABELS = {Scope.PUBLIC: ":AB", Scope.ALL: ""}
# ts_rank normalisation 1: divided by 1 + log(length), so that a long text does not win by
# length alone.
PG_NORMALISATION = 1
# bm25's weights of the FTS5 columns (title_terms, public_terms, private_terms).
FTS_WEIGHTS = {Scope.PUBLIC: (10.0, 2.0, 0.0), Scope.ALL: (10.0, 2.0, 1.0)}
FTS_COLUMNS = {Scope.PUBLIC: "{title_terms public_terms} : ", Scope.ALL: ""}


def _allowed_sql(allowed: QuerySet) -> tuple[str, tuple]:
    return allowed.order_by().values("id").query.sql_with_params()  # column "id"


class PostgresBackend:
    # The matches are found first (a MATERIALIZED CTE: the GIN index, whatever the statistics
    # say about the other tables), then the allowed cases among them are joined by id, and
    # only those are ranked. Left to itself, with stale statistics after a bulk rebuild, the
    # planner walked every public case and tested each one's tsvector (90 ms on 10,000 cases
    # for a word in eight of them, against a few ms).
    MATCHES = (
        f"WITH matches AS MATERIALIZED (SELECT case_id FROM {ENTRY_TABLE} "
        "WHERE document @@ to_tsquery('simple', %s)) "
    )

    @staticmethod
    def _query(terms, *, label: str, join: str) -> str:
        # Words are letters and digits only (terms.py), so quoting cannot be broken out of.
        return join.join(f"'{term}'{label}" for term in terms)

    def count(self, terms, scope: Scope, allowed: QuerySet) -> int:
        sub, params = _allowed_sql(allowed)
        sql = (
            f"{self.MATCHES}SELECT COUNT(*) FROM matches "
            f"JOIN ({sub}) allowed ON allowed.id = matches.case_id"
        )
        query = self._query(terms, label=PG_LABELS[scope], join=" & ")
        with connections[allowed.db].cursor() as cursor:
            cursor.execute(sql, (query, *params))
            return cursor.fetchone()[0]

    def page(self, terms, scope: Scope, allowed: QuerySet, *, offset: int, limit: int) -> list:
        sub, params = _allowed_sql(allowed)
        sql = (
            f"{self.MATCHES}SELECT entry.case_id FROM matches "
            f"JOIN ({sub}) allowed ON allowed.id = matches.case_id "
            f"JOIN {ENTRY_TABLE} entry ON entry.case_id = matches.case_id "
            "ORDER BY entry.document @@ to_tsquery('simple', %s) DESC, "
            "ts_rank(%s::float4[], entry.document, to_tsquery('simple', %s), %s) DESC, "
            "entry.case_id "
            "LIMIT %s OFFSET %s"
        )
        query = self._query(terms, label=PG_LABELS[scope], join=" & ")
        in_title = self._query(terms, label=":A", join=" | ")
        with connections[allowed.db].cursor() as cursor:
            cursor.execute(
                sql,
                (
                    query,
                    *params,
                    in_title,
                    PG_WEIGHTS[scope],
                    query,
                    PG_NORMALISATION,
                    limit,
                    offset,
                ),
            )
            return [row[0] for row in cursor.fetchall()]


class SqliteBackend:
    # CROSS JOIN makes SQLite read the full-text matches first and look each case up by id:
    # left free, a filter on an indexed column (the year's campaign) makes it scan the cases
    # and run the full-text query once per case (1,435 of 10,000 cases: 314 ms against 14 ms).
    @staticmethod
    def _match(terms, *, columns: str, join: str) -> str:
        # Each word in double quotes: an FTS5 string, never an operator (AND, NEAR, *).
        return columns + "(" + join.join(f'"{term}"' for term in terms) + ")"

    def count(self, terms, scope: Scope, allowed: QuerySet) -> int:
        sub, params = _allowed_sql(allowed)
        sql = (
            f"SELECT COUNT(*) FROM {FTS_TABLE} "
            f"CROSS JOIN ({sub}) allowed ON allowed.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s"
        )
        match = self._match(terms, columns=FTS_COLUMNS[scope], join=" ")
        with connections[allowed.db].cursor() as cursor:
            cursor.execute(sql, (*params, match))
            return cursor.fetchone()[0]

    def page(self, terms, scope: Scope, allowed: QuerySet, *, offset: int, limit: int) -> list:
        sub, params = _allowed_sql(allowed)
        weights = ", ".join(str(w) for w in FTS_WEIGHTS[scope])
        sql = (
            f"SELECT {FTS_TABLE}.rowid FROM {FTS_TABLE} "
            f"CROSS JOIN ({sub}) allowed ON allowed.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s "
            f"ORDER BY {FTS_TABLE}.rowid IN "
            f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) DESC, "
            f"bm25({FTS_TABLE}, {weights}), {FTS_TABLE}.rowid "
            "LIMIT %s OFFSET %s"
        )
        match = self._match(terms, columns=FTS_COLUMNS[scope], join=" ")
        in_title = self._match(terms, columns="{title_terms} : ", join=" OR ")
        with connections[allowed.db].cursor() as cursor:
            cursor.execute(sql, (*params, match, in_title, limit, offset))
            return [row[0] for row in cursor.fetchall()]


BACKENDS = {"postgresql": PostgresBackend, "sqlite": SqliteBackend}


def backend_for(alias: str):
    """The backend of a database connection; KeyError for a vendor without one."""
    return BACKENDS[connections[alias].vendor]()
