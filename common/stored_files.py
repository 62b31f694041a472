"""Serving a stored file through the application, whatever the store.

Every download view checks who may have the file, then calls `file_download`. The file is
streamed in chunks from the default storage: from disk, or from an S3-compatible store
(config/settings/storage.py). It is never read whole into memory and never handed over as
a URL of the store (a presigned URL would outlive the permission check and skip the
download log).

django-storages' own `S3File` downloads the whole object into a SpooledTemporaryFile
(in memory by default) on its first read, so for that store the object's body is read
from botocore's streaming response instead.

Outcomes: the file (with Content-Disposition naming it in Chinese, nosniff, no caching of
private files, Content-Length when the store knows it); a 404 page when the file is not in
the store; a 503 page and a warning in the log when the store cannot be read.
"""

import logging
import re
import sys
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024  # per read from the store and per write to the client
PRIVATE_CACHE = "private, no-store"
PUBLIC_CACHE = "public, max-age=300"  # call-for-entries templates: anyone may have them
RETRY_AFTER_SECONDS = 30
NOT_FOUND_CODES = {"NoSuchKey", "NotFound", "404"}


class StoreUnavailable(Exception):
    """The store did not answer, or refused: the file may exist but cannot be read now."""


def _ascii_part(text: str) -> str:
    """`text` in plain ASCII letters, digits, hyphens and underscores (accents dropped)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")


def attachment_disposition(filename: str) -> str:
    """`attachment` naming the file: RFC 5987 `filename*` in UTF-8, and an ASCII fallback
    for clients that read only `filename` (letters outside ASCII dropped, the extension
    kept)."""
    filename = filename.replace("\r", "").replace("\n", "") or "download"
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    stem, extension = _ascii_part(stem) or "download", _ascii_part(extension)
    fallback = f"{stem}.{extension}" if extension else stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _s3_storage_class():
    """django-storages' S3Storage if that module is loaded, else None.

    A storage can only be an S3Storage once its module is imported, so the embedded default
    (files on disk) never imports boto3 here.
    """
    module = sys.modules.get("storages.backends.s3")
    return getattr(module, "S3Storage", None)


def _open_s3(storage, name: str):
    """(streaming body, its length) of `name`; Http404 or StoreUnavailable otherwise."""
    from botocore.exceptions import BotoCoreError, ClientError

    # The key as S3Storage writes it (its location prefix joined to the name).
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(name))
    try:
        answer = storage.bucket.Object(key).get()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        # Only a missing key is a 404: a missing bucket (also HTTP 404) is a store that is
        # not set up as configured, and its files exist somewhere: a 503 and a warning.
        if error.get("Code") in NOT_FOUND_CODES:
            raise Http404 from None
        raise StoreUnavailable(f"{error.get('Code')}: {error.get('Message', '')}") from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return answer["Body"], answer.get("ContentLength")


def _open_other(storage, name: str):
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    except OSError as exc:  # permissions, a missing mount: the file may be there
        raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return handle, None  # FileResponse measures a file on disk itself


def open_stored(fieldfile):
    """(a file-like object to stream, its size or None) for a FieldFile."""
    if not fieldfile:
        raise Http404
    storage = fieldfile.storage
    storage_class = storage.__class__  # builds a lazy default_storage, importing its module
    s3_storage = _s3_storage_class()
    if s3_storage is not None and issubclass(storage_class, s3_storage):
        return _open_s3(storage, fieldfile.name)
    return _open_other(storage, fieldfile.name)


def file_download(request, fieldfile, *, filename: str, content_type: str, public=False):
    """The response that streams `fieldfile` as a download named `filename`.

    Call it after the view's permission check and logging. `public`: the file is the same
    for everyone (a call-for-entries template) and may be cached.
    """
    try:
        stream, size = open_stored(fieldfile)
    except StoreUnavailable as exc:
        logger.warning("File %s could not be read from the store: %s", fieldfile.name, exc)
        response = render(request, "file_unavailable.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = PRIVATE_CACHE
        return response
    response = FileResponse(stream, content_type=content_type or "application/octet-stream")
    response.block_size = CHUNK_BYTES  # read lazily, so setting it after creation counts
    if size is not None:
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    return response


def bytes_download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """The response that hands over bytes made for this request (a rendered PDF, a
    watermarked copy) as a download, with the headers of `file_download`: named in Chinese,
    nosniff, never cached (each is made for one reader)."""
    response = HttpResponse(data, content_type=content_type or "application/octet-stream")
    response["Content-Length"] = str(len(data))
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = PRIVATE_CACHE
    return response
