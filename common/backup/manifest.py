"""What a site holds, in a form two sites can be compared by: rows per model, stored files."""

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import connections, models

FORMAT = "reform-awards-backup"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024

# Rows that `migrate` writes by itself: a freshly migrated database still counts as empty.
FILLED_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}


def concrete_models() -> list[type[models.Model]]:
    """Every model that owns a table, many-to-many tables included, in a stable order."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    return sorted(found, key=model_label)


def model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def existing_tables(alias: str = "default") -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def row_counts(alias: str = "default") -> dict[str, int]:
    """Rows per model; a model whose table does not exist is left out."""
    tables = existing_tables(alias)
    return {
        model_label(model): model._base_manager.using(alias).count()
        for model in concrete_models()
        if model._meta.db_table in tables
    }


def populated_models(alias: str = "default") -> list[str]:
    """The models holding rows, apart from those `migrate` fills: empty means restorable."""
    tables = existing_tables(alias)
    return [
        model_label(model)
        for model in concrete_models()
        if model._meta.db_table in tables
        and model_label(model) not in FILLED_BY_MIGRATE
        and model._base_manager.using(alias).exists()
    ]


def file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in concrete_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field


def stored_file_names(alias: str = "default") -> list[str]:
    """Every storage name a FileField row points at, once (many rows may share one file)."""
    names: set[str] = set()
    for model, field in file_fields():
        values = (
            model._base_manager.using(alias)
            .exclude(**{field.attname: ""})
            .exclude(**{f"{field.attname}__isnull": True})
            .order_by()
            .values_list(field.attname, flat=True)
            .distinct()
        )
        names.update(values)
    return sorted(names)


def sha256_of(fileobj) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def app_version() -> str:
    """`git describe` of the tree when it is a checkout; '' otherwise (not required)."""
    try:
        run = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=Path(settings.BASE_DIR),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return run.stdout.strip() if run.returncode == 0 else ""


def header(*, vendor: str, created: str) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": created,
        "django": django.get_version(),
        "app_version": app_version(),
        "database_vendor": vendor,
    }
