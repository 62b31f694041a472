"""Backups that restore: one tar archive with the database, every stored file and a manifest.

`manifest.py` says what a site holds (row counts per model, stored files with their SHA-256),
`database.py` dumps and restores the database by vendor (pg_dump / pg_restore, SQLite's backup
API), `archive.py` writes and reads the archive and restores the files through the storage API.
The `backup` and `restore` commands (site_setup) drive them. Nothing here imports an app.
"""
