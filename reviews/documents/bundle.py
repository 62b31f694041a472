"""The committee's bundle (终评材料包) as a ZIP written to a file, never whole in memory.

Layout, for a round and its first `top` cases in ranking order (every case when `top` is None):

    00-封面.pdf                    the cover sheet: campaign, round, date, what is inside
    00-排名表.xlsx / 00-排名表.pdf  the ranking table (the XLSX is the office's export)
    001-<title>/申报书.pdf          each case's 申报书 (reform_cases/documents/application_form)
    001-<title>/附件01-<name>      its attachments, streamed from the store in chunks
    00-缺失附件清单.txt             only if some attachment was not in the store: which ones
                                   (each has a note `<name>.缺失.txt` in its place)

Each member is written through `ZipFile.open(..., "w")` in chunks: at most one rendered
申报书 (a few hundred KB) and one chunk of an attachment are in memory at a time. The ranking
is read in chunks (`iterator`) with each chunk's attachments prefetched.

A blind round's bundle is blind too (the committee of a blind round are experts): blind
申报书, no unit column in the table, and no attachment the office hid from experts.
"""

import gc
import io
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.pdf_drawing import draw_pdf, release_memory
from common.stored_files import CHUNK_BYTES, open_stored
from reform_cases.documents.application_form import DOCUMENT_LANGUAGE, application_html
from reform_cases.models import Attachment
from reviews.models import ReviewRound
from reviews.ranking import table as ranking_table

COVER_NAME = "00-封面.pdf"
TABLE_XLSX_NAME = "00-排名表.xlsx"
TABLE_PDF_NAME = "00-排名表.pdf"
APPLICATION_NAME = "申报书.pdf"
MISSING_LIST_NAME = "00-缺失附件清单.txt"
MISSING_SUFFIX = ".缺失.txt"  # the note written in a missing attachment's place
COVER_TEMPLATE = "documents/bundle_cover.html"
TABLE_TEMPLATE = "documents/bundle_ranking.html"
TABLE_ROWS_PER_PART = 50  # rows of the ranking table per WeasyPrint render (see _table_pdf)
TITLE_CHARS = 40  # of a case's title in its folder name: paths stay short on every unzip tool
ENTRY_CHUNK = 50  # ranking entries (and their attachments) read per query
# Already compressed: deflating them again costs time for nothing.
STORED_SUFFIXES = (".pdf", ".xlsx", ".docx", ".pptx", ".zip", ".jpg", ".jpeg", ".png", ".mp4")
ZIP64_LIMIT = 2**31  # members larger than this need the zip64 header written up front


@dataclass(frozen=True)
class BundleResult:
    case_count: int
    members: int
    missing: list[str]  # member names of attachments the store did not have


def safe_name(text: str, *, limit: int = TITLE_CHARS) -> str:
    """`text` as one path component: no separators, control or reserved characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", text).strip(" ._")
    return text[:limit].rstrip(" ._") or "_"


def folder_name(position: int, title: str) -> str:
    return f"{position:03d}-{safe_name(title)}"


def _compression(name: str) -> int:
    return zipfile.ZIP_STORED if name.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED


def _member(archive: zipfile.ZipFile, name: str, size: int | None = None):
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = _compression(name)
    if size is not None:
        info.file_size = size
    return archive.open(info, "w", force_zip64=size is None or size >= ZIP64_LIMIT)


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    with _member(archive, name, len(data)) as out:
        out.write(data)


def _write_stored(archive: zipfile.ZipFile, name: str, attachment: Attachment) -> bool:
    """The attachment streamed in as `name`; False, and a note in its place, when the store
    does not have it (one lost file must not keep the committee's papers from the meeting).
    A store that cannot be read at all (StoreUnavailable) still fails the bundle."""
    try:
        stream, _length = open_stored(attachment.file)
    except Http404:
        note = _(
            "案例“%(title)s”的附件“%(name)s”在生成材料包时不在文件存储中,未能收入。"
            "请向组织方索取,或由申报单位重新上传后再生成材料包。\n"
        ) % {"title": attachment.case.title, "name": attachment.original_name}
        _write_bytes(archive, name + MISSING_SUFFIX, note.encode("utf-8"))
        return False
    try:
        with _member(archive, name, attachment.size) as out:
            shutil.copyfileobj(stream, out, CHUNK_BYTES)
    finally:
        stream.close()
    return True


def _missing_list(missing: list[str]) -> bytes:
    lines = [
        _("以下附件在生成材料包时不在文件存储中,未能收入(各自位置有一份说明):"),
        "",
        *missing,
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _write_through_file(archive: zipfile.ZipFile, name: str, write) -> None:
    """`write(handle)` into a temporary file, then copied in: openpyxl and pypdf seek in what
    they write, which a member of a ZIP being written cannot do."""
    with tempfile.TemporaryFile() as handle:
        write(handle)
        size = handle.tell()
        handle.seek(0)
        with _member(archive, name, size) as out:
            shutil.copyfileobj(handle, out, CHUNK_BYTES)


def _pdf(template: str, context: dict) -> bytes:
    return draw_pdf(render_to_string(template, context), str(settings.BASE_DIR))


def _entries_with_files(review_round: ReviewRound, top, *, blind: bool):
    files = Attachment.objects.order_by("kind", "uploaded_at", "pk")
    if blind:
        files = files.filter(hidden_from_experts=False)
    entries = (
        ranking_table.ranked_entries(review_round)
        .select_related("case__campaign", "case__field", "case__organisation__parent")
        .prefetch_related(
            Prefetch("case__attachments", queryset=files, to_attr="bundle_files"),
            "case__co_organisations",
        )
    )
    return (entries[:top] if top else entries).iterator(chunk_size=ENTRY_CHUNK)


def _table_pdf(handle, context: dict, rows, *, rows_per_part: int) -> None:
    """The ranking table as one PDF, rendered `rows_per_part` rows at a time and joined.

    WeasyPrint keeps a whole document's layout in memory: a 5,000-row table in one go would
    cost the worker hundreds of MB; a part of 50 rows costs about 20 MB while it is drawn (a
    table's layout is dearer than a 申报书's), given back before the next.
    """
    from reviews.documents.pdf_pages import PdfReader, PdfWriter

    writer = PdfWriter()
    part = []
    for row in rows:
        part.append([(cell, isinstance(cell, int | float)) for cell in row])
        if len(part) == rows_per_part:
            writer.append(PdfReader(io.BytesIO(_pdf(TABLE_TEMPLATE, {**context, "rows": part}))))
            part = []
            release_memory()  # see write_bundle
    if part or not len(writer.pages):
        writer.append(PdfReader(io.BytesIO(_pdf(TABLE_TEMPLATE, {**context, "rows": part}))))
    writer.write(handle)
    del writer
    release_memory()


def write_bundle(handle, review_round: ReviewRound, *, top: int | None = None) -> BundleResult:
    """Write the round's bundle as a ZIP into the binary file `handle` (seekable)."""
    gc.freeze()  # the worker's own objects: each collection below skips them
    try:
        return _write(handle, review_round, top)
    finally:
        gc.unfreeze()
        release_memory()


def _write(handle, review_round: ReviewRound, top: int | None) -> BundleResult:
    blind = review_round.blind
    campaign = review_round.campaign
    tiers = list(campaign.tiers.order_by("order"))
    members = 0
    missing: list[str] = []
    with translation.override(DOCUMENT_LANGUAGE), zipfile.ZipFile(handle, "w") as archive:
        context = {
            "round": review_round,
            "campaign": campaign,
            "blind": blind,
            "top": top,
            "case_count": ranking_table.ranked_entries(review_round, top=top).count(),
            "files": [COVER_NAME, TABLE_XLSX_NAME, TABLE_PDF_NAME],
            "application_name": APPLICATION_NAME,
            "made_at": timezone.localtime(),
        }
        _write_bytes(archive, COVER_NAME, _pdf(COVER_TEMPLATE, context))
        gc.collect()  # see below
        _write_through_file(
            archive,
            TABLE_XLSX_NAME,
            lambda out: ranking_table.write_xlsx(review_round, out, top=top, with_unit=not blind),
        )
        table = {**context, "header": ranking_table.header(tiers, with_unit=not blind)}
        rows = ranking_table.rows(review_round, tiers, top=top, with_unit=not blind)
        _write_through_file(
            archive,
            TABLE_PDF_NAME,
            lambda out: _table_pdf(out, table, rows, rows_per_part=TABLE_ROWS_PER_PART),
        )
        members += 3
        position = 0
        for position, entry in enumerate(_entries_with_files(review_round, top, blind=blind), 1):
            case = entry.case
            folder = folder_name(position, case.title)
            _write_bytes(
                archive,
                f"{folder}/{APPLICATION_NAME}",
                draw_pdf(application_html(case, blind=blind)),
            )
            members += 1
            for n, attachment in enumerate(case.bundle_files, 1):
                name = f"{folder}/附件{n:02d}-{safe_name(attachment.original_name, limit=80)}"
                if not _write_stored(archive, name, attachment):
                    missing.append(name)
                members += 1
            # A WeasyPrint render leaves its layout and font subsets in reference cycles, some
            # already in the oldest generation when it returns; byte strings do not count
            # towards the collector's thresholds, so without this the worker grew with each
            # case (bench/bundle.py). Cheap: what was alive before is frozen.
            gc.collect()
        if missing:
            _write_bytes(archive, MISSING_LIST_NAME, _missing_list(missing))
            members += 1
    return BundleResult(case_count=position, members=members, missing=missing)
