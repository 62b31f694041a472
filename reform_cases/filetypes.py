"""What an uploaded file really is, from its first bytes rather than its name."""

import re
import unicodedata
import zipfile

from django.utils.translation import gettext as _

SIGNATURES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}


def detect_type(head: bytes, whole=None) -> str | None:
    """'pdf', 'docx', 'xlsx', 'jpg', 'png' or None.

    `whole` (a file object) is needed to tell DOCX from XLSX: both are ZIP
    packages, told apart by their main part.
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04") and whole is not None:
        try:
            whole.seek(0)
            names = set(zipfile.ZipFile(whole).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            whole.seek(0)
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def extension_of(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"jpeg": "jpg"}.get(ext, ext)


def check_upload(upload, allowed=tuple(SIGNATURES)) -> str:
    """Return the detected type, or raise ValueError with a message for the user."""
    head = upload.read(16)
    upload.seek(0)
    kind = detect_type(head, upload if head.startswith(b"PK") else None)
    claimed = extension_of(upload.name)
    if kind is None or kind not in allowed:
        raise ValueError(
            _("文件“%(name)s”不是有效的 %(types)s 文件。")
            % {"name": upload.name, "types": " / ".join(t.upper() for t in allowed)}
        )
    if claimed != kind:
        raise ValueError(
            _("文件“%(name)s”的内容是 %(real)s,与扩展名不符。")
            % {"name": upload.name, "real": kind.upper()}
        )
    return kind


def safe_filename(name: str) -> str:
    """A storable file name: no path, no control or shell characters; Chinese kept."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\-()]+", "_", base).strip("_ ") or "file"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return base[:80]
    stem = stem if stem.strip("._ ") else "file"
    return f"{stem[:80]}.{ext[:10].lower()}"
