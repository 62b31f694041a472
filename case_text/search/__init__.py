"""Full-text search over the cases, in Chinese: one service, two database backends.

terms.py (words and highlighting, pure) → services.py (the index, written when a case's text
changes: receivers.py, tasks.py; or by rebuild_search_index) → backends.py (PostgreSQL
tsvector + GIN, SQLite FTS5; schema.py makes them) → selectors.py (a page of results) →
case_text/views (/results/search/ for the public, /manage/campaigns/<id>/search/ for the
office).
"""
