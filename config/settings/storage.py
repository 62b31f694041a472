"""Where uploaded files live: a local folder, or an S3-compatible object store.

Attachments, objection files and call-for-entries files are written to Django's default
storage. With no variable set it is a folder (MEDIA_ROOT), which is enough for one web
node. Two nodes must share their files, so `STORAGE_BUCKET` switches the default storage
to an S3-compatible store (django-storages' S3 backend), read from:

    STORAGE_BUCKET              the bucket (must exist; its objects stay private)
    STORAGE_ENDPOINT_URL        http(s)://host[:port] of the store; unset for AWS itself
    STORAGE_ACCESS_KEY_ID       } required with a bucket
    STORAGE_SECRET_ACCESS_KEY   }
    STORAGE_REGION              default us-east-1
    STORAGE_ADDRESSING_STYLE    path (default; MinIO-like stores need it), virtual or auto
    STORAGE_LOCATION            a key prefix inside the bucket, default none

Files are only ever served through the application's download views
(common/stored_files.py), never by a URL of the store: objects are written without an ACL
(the bucket's private default) and a URL, if anything asked for one, would be signed.

A half-configured store stops the start with ImproperlyConfigured, as a malformed broker
URL does (broker.py): files silently written to one node's disk would be missing on the
other. The messages name variables, never the secret's value.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
ADDRESSING_STYLES = ("path", "virtual", "auto")
DEFAULT_REGION = "us-east-1"
DEFAULT_ADDRESSING_STYLE = "path"
# Meaningful only with a bucket: set without one, they mean the bucket was forgotten.
NEEDS_BUCKET = ("STORAGE_ENDPOINT_URL", "STORAGE_ACCESS_KEY_ID", "STORAGE_SECRET_ACCESS_KEY")
# S3's bucket naming rule (lower case, digits, dots, hyphens; 3 to 63 characters).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# A store that does not answer fails a download within seconds (a 503 page), not after
# botocore's default minute; three attempts ride over a dropped connection.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 3
SPOOL_BYTES = 8 * 1024 * 1024


def _endpoint(url: str) -> str | None:
    """`url` if it is a usable endpoint, None when unset; else ImproperlyConfigured."""
    if not url:
        return None
    expected = "expected http(s)://HOST[:PORT], e.g. http://minio.internal:9000"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        # The value is not shown: a malformed URL may hold a key pasted into it.
        raise ImproperlyConfigured(
            f"STORAGE_ENDPOINT_URL is not a valid URL; {expected}."
        ) from None
    if parts.username is not None or parts.password is not None:
        raise ImproperlyConfigured(
            "STORAGE_ENDPOINT_URL must not hold credentials; set STORAGE_ACCESS_KEY_ID and "
            "STORAGE_SECRET_ACCESS_KEY instead."
        )
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"STORAGE_ENDPOINT_URL {url!r} is not usable; {expected}.")
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"STORAGE_ENDPOINT_URL {url!r} must not have a query or fragment; {expected}."
        )
    return url


def default_storage(env) -> dict:
    """The STORAGES["default"] entry the environment asks for (see the module docstring)."""
    bucket = env("STORAGE_BUCKET", default="").strip()
    if not bucket:
        stray = [name for name in NEEDS_BUCKET if env(name, default="").strip()]
        if stray:
            raise ImproperlyConfigured(
                f"{', '.join(stray)} set without STORAGE_BUCKET: set the bucket to store files "
                "in the object store, or unset them to keep files in MEDIA_ROOT."
            )
        return dict(FILESYSTEM)
    if not BUCKET_NAME.match(bucket):
        raise ImproperlyConfigured(
            f"STORAGE_BUCKET {bucket!r} is not a valid bucket name (3 to 63 lower-case "
            "letters, digits, dots or hyphens)."
        )
    access_key = env("STORAGE_ACCESS_KEY_ID", default="").strip()
    secret_key = env("STORAGE_SECRET_ACCESS_KEY", default="").strip()
    missing = [
        name
        for name, value in (
            ("STORAGE_ACCESS_KEY_ID", access_key),
            ("STORAGE_SECRET_ACCESS_KEY", secret_key),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"STORAGE_BUCKET is set but {' and '.join(missing)} is not: the object store "
            "needs both keys."
        )
    endpoint_url = _endpoint(env("STORAGE_ENDPOINT_URL", default="").strip())
    region = env("STORAGE_REGION", default="").strip() or DEFAULT_REGION
    style = env("STORAGE_ADDRESSING_STYLE", default="").strip().lower() or DEFAULT_ADDRESSING_STYLE
    if style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"STORAGE_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}; got {style!r}."
        )
    # django-storages refuses a location that starts with "/"; "cases/" and "/cases" mean "cases".
    location = env("STORAGE_LOCATION", default="").strip().strip("/")

    from botocore.config import Config  # only a deployment with a bucket pays for botocore

    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region,
            "location": location,
            "default_acl": None,  # no ACL sent: objects keep the bucket's private default
            "querystring_auth": True,  # a URL of a file, if ever built, is signed and expires
            "file_overwrite": False,  # a second "申报书.pdf" gets its own key, as on disk
            # storage.open() (backups) downloads a whole object first; beyond this it goes
            # to a temporary file, not memory (django-storages' default 0 means never).
            "max_memory_size": SPOOL_BYTES,
            # With a client_config given, django-storages ignores its own addressing_style
            # option, so the style is set here.
            "client_config": Config(
                s3={"addressing_style": style},
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            ),
        },
    }
