"""The committee's bundle (issue 19): asked on the ranking page, built by the task, downloaded.

PDF rendering costs ~0.5 s each: each test renders as few as it can and checks many facts.
"""

import io
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from common.stored_files import StoreUnavailable
from notifications.models import Notification, NotificationKind
from reviews.documents import bundle as bundle_module
from reviews.models import BundleStatus, CommitteeBundle, RoundEvent, RoundEventKind
from reviews.tasks import expire_committee_bundles
from tests.factories import (
    PNG,
    UserFactory,
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
    stored_attachment,
)
from tests.helpers import client_of, run_together

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _ranked_round(titles, *, blind=False):
    """A round whose ranking puts `titles` in that order (created in the reverse order, so
    that ranking order is not the order of the primary keys)."""
    campaign = ranking_campaign()
    cases = {t: accepted_case_for_ranking(campaign, t) for t in reversed(titles)}
    review_round = make_closed_round(campaign, cases=list(cases.values()))
    review_round.blind = blind
    review_round.save(update_fields=["blind"])
    for rank, title in enumerate(titles, start=1):
        ranking_entry(review_round, cases[title], campaign.best if rank == 1 else None, rank=rank)
    return review_round, [cases[t] for t in titles]


def _ask(client, review_round, captured, top=""):
    with captured(execute=True):  # the task runs (eagerly) once the request commits
        r = client.post(
            reverse("manage:bundle-request", kwargs={"pk": review_round.pk}), {"top": top}
        )
    assert r.status_code == 302
    assert r["Location"] == reverse("manage:ranking", kwargs={"pk": review_round.pk}) + "#bundles"
    return CommitteeBundle.objects.filter(round=review_round).latest("pk")


def _download(client, bundle) -> zipfile.ZipFile:
    r = client.get(reverse("manage:bundle-download", kwargs={"pk": bundle.pk}))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert r["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))


def test_bundle_of_the_top_cases_lists_their_files_in_ranking_order(
    django_capture_on_commit_callbacks, monkeypatch
):
    # One row per part of the ranking table: the parts are joined into one PDF.
    monkeypatch.setattr(bundle_module, "TABLE_ROWS_PER_PART", 1)
    admin = UserFactory(administrator=True)
    review_round, (first, second, third) = _ranked_round(
        ["“一网通办”/改革:再深化", "乡村治理积分制", "未入前两名的案例"]
    )
    plan = stored_attachment(first, "实施方案.pdf")
    photo = stored_attachment(first, "现场照片.png", PNG)
    stored_attachment(third, "不应出现.pdf")
    office = client_of(admin)

    bundle = _ask(office, review_round, django_capture_on_commit_callbacks, top="2")

    assert bundle.status == BundleStatus.READY, bundle.error
    assert (bundle.case_count, bundle.top, bundle.requested_by) == (2, 2, admin)
    assert bundle.file.name.startswith(f"bundles/{review_round.pk}/")
    assert bundle.size == default_storage.size(bundle.file.name)
    archive = _download(office, bundle)
    first_folder = "001-“一网通办”_改革_再深化"  # separators in a title never make a folder
    assert archive.namelist() == [
        "00-封面.pdf",
        "00-排名表.xlsx",
        "00-排名表.pdf",
        f"{first_folder}/申报书.pdf",
        f"{first_folder}/附件01-实施方案.pdf",
        f"{first_folder}/附件02-现场照片.png",
        "002-乡村治理积分制/申报书.pdf",
    ]
    # Attachments are the stored bytes, unchanged.
    for member, attachment in (("附件01-实施方案.pdf", plan), ("附件02-现场照片.png", photo)):
        with attachment.file.open("rb") as stored:
            assert archive.read(f"{first_folder}/{member}") == stored.read()
    # Each 申报书 is that case's.
    assert first.title in _text(archive.read(f"{first_folder}/申报书.pdf"))
    assert second.title in _text(archive.read("002-乡村治理积分制/申报书.pdf"))
    # The table, in both forms: the first two cases in ranking order, with their unit.
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("00-排名表.xlsx"))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[:3] for r in rows[1:]] == [
        (1, first.title, first.organisation.name),
        (2, second.title, second.organisation.name),
    ]
    table = PdfReader(io.BytesIO(archive.read("00-排名表.pdf")))
    assert len(table.pages) == 2  # two parts of one row each, joined
    # A title may wrap inside its cell: compare the text without line breaks.
    text = "".join(p.extract_text() for p in table.pages)
    text = "".join(text.split())
    assert text.index("乡村治理积分制") > text.index("再深化")
    assert first.organisation.name in text and third.title not in text
    cover = _text(archive.read("00-封面.pdf"))
    assert review_round.campaign.title in cover and "前 2 名" in cover
    # Recorded and announced.
    assert RoundEvent.objects.filter(
        round=review_round, actor=admin, kind=RoundEventKind.BUNDLE_REQUESTED
    ).exists()
    note = Notification.objects.get(recipient=admin, kind=NotificationKind.COMMITTEE_BUNDLE)
    assert "已生成" in note.subject and "2 个案例" in note.body
    assert note.link.endswith(f"/manage/rounds/{review_round.pk}/ranking/#bundles")
    # The ranking page shows it with its download link.
    page = office.get(reverse("manage:ranking", kwargs={"pk": review_round.pk})).content.decode()
    assert reverse("manage:bundle-download", kwargs={"pk": bundle.pk}) in page


def test_a_blind_rounds_bundle_names_no_unit_and_leaves_out_hidden_files(
    django_capture_on_commit_callbacks,
):
    admin = UserFactory(administrator=True)
    review_round, (case,) = _ranked_round(["匿名评审的案例"], blind=True)
    stored_attachment(case, "公开附件.pdf")
    stored_attachment(case, "含单位名称的附件.pdf", hidden_from_experts=True)

    bundle = _ask(client_of(admin), review_round, django_capture_on_commit_callbacks)

    assert bundle.status == BundleStatus.READY, bundle.error
    with bundle.file.open("rb") as stored, zipfile.ZipFile(stored) as archive:
        names = archive.namelist()
        assert "001-匿名评审的案例/附件01-公开附件.pdf" in names
        assert not any("含单位名称" in n for n in names)
        unit = case.organisation.name
        for member in ("00-排名表.pdf", "001-匿名评审的案例/申报书.pdf"):
            text = _text(archive.read(member))
            assert case.title in text and unit not in text
        sheet = openpyxl.load_workbook(io.BytesIO(archive.read("00-排名表.xlsx"))).worksheets[0]
        assert unit not in {c for row in sheet.iter_rows(values_only=True) for c in row}


def test_a_file_missing_from_the_store_is_noted_and_the_bundle_still_made(
    django_capture_on_commit_callbacks,
):
    admin = UserFactory(administrator=True)
    review_round, (case,) = _ranked_round(["附件丢失的案例"])
    kept = stored_attachment(case, "保留.pdf")
    lost = stored_attachment(case, "丢失.pdf")
    default_storage.delete(lost.file.name)
    office = client_of(admin)

    bundle = _ask(office, review_round, django_capture_on_commit_callbacks)

    assert bundle.status == BundleStatus.READY, bundle.error
    assert bundle.missing_files == ["001-附件丢失的案例/附件02-丢失.pdf"]
    with _download(office, bundle) as archive:
        names = archive.namelist()
        assert (
            archive.read("001-附件丢失的案例/附件01-保留.pdf")
            == default_storage.open(kept.file.name).read()
        )
        assert "001-附件丢失的案例/附件02-丢失.pdf" not in names
        note = archive.read("001-附件丢失的案例/附件02-丢失.pdf.缺失.txt").decode("utf-8")
        assert "“附件丢失的案例”的附件“丢失.pdf”" in note and "不在文件存储中" in note
        listing = archive.read("00-缺失附件清单.txt").decode("utf-8")
        assert listing.splitlines()[-1] == "001-附件丢失的案例/附件02-丢失.pdf"
    page = office.get(reverse("manage:ranking", kwargs={"pk": review_round.pk})).content.decode()
    assert "1 个附件不在文件存储中" in page and "001-附件丢失的案例/附件02-丢失.pdf" in page
    mail = Notification.objects.get(recipient=admin, kind=NotificationKind.COMMITTEE_BUNDLE)
    assert "1 个附件不在文件存储中" in mail.body


def test_a_store_that_cannot_be_read_fails_the_bundle_and_says_so(
    django_capture_on_commit_callbacks, media, monkeypatch
):
    def unreadable(fieldfile):
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(bundle_module, "open_stored", unreadable)
    admin = UserFactory(administrator=True)
    review_round, (case,) = _ranked_round(["存储不可用的案例"])
    stored_attachment(case, "附件.pdf")
    office = client_of(admin)

    bundle = _ask(office, review_round, django_capture_on_commit_callbacks)

    assert bundle.status == BundleStatus.FAILED
    assert bundle.error == "StoreUnavailable: connection refused"
    assert not bundle.file and bundle.finished_at
    assert not list(media.rglob("*.zip"))  # nothing left behind
    note = Notification.objects.get(recipient=admin, kind=NotificationKind.COMMITTEE_BUNDLE)
    assert "失败" in note.subject
    assert (
        office.get(reverse("manage:bundle-download", kwargs={"pk": bundle.pk})).status_code == 404
    )
    # A failed bundle does not block the next request.
    with django_capture_on_commit_callbacks(execute=False):
        office.post(reverse("manage:bundle-request", kwargs={"pk": review_round.pk}))
    assert CommitteeBundle.objects.filter(round=review_round).count() == 2


def _ready_bundle(review_round, *, days_ago, content=b"PK\x05\x06" + b"\0" * 18):
    """A ready bundle finished `days_ago` days ago, its ZIP in the store (no PDF drawn)."""
    bundle = CommitteeBundle.objects.create(
        round=review_round, status=BundleStatus.READY, case_count=1, size=len(content)
    )
    bundle.file.save("材料包.zip", ContentFile(content), save=False)
    bundle.finished_at = timezone.now() - timedelta(days=days_ago)
    bundle.save()
    return bundle


def test_old_bundles_lose_their_files_and_keep_their_rows(
    django_capture_on_commit_callbacks, settings
):
    settings.COMMITTEE_BUNDLE_KEEP_DAYS = 30
    review_round, _cases = _ranked_round(["过期的案例"])
    old = _ready_bundle(review_round, days_ago=31)
    recent = _ready_bundle(review_round, days_ago=29)
    old_name = old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_committee_bundles.run() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.file.name) == (BundleStatus.EXPIRED, "")
    assert old.expired_at and old.case_count == 1  # the row says what it was
    assert not default_storage.exists(old_name)
    assert recent.status == BundleStatus.READY and default_storage.exists(recent.file.name)
    office = client_of(UserFactory(administrator=True))
    assert office.get(reverse("manage:bundle-download", kwargs={"pk": old.pk})).status_code == 404
    page = office.get(reverse("manage:ranking", kwargs={"pk": review_round.pk})).content.decode()
    assert "已过期删除" in page and "材料包只保留 30 天" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_committee_bundles.run() == 0  # a second run changes nothing


def test_a_new_bundle_keeps_only_the_newest_three_of_its_round(
    django_capture_on_commit_callbacks,
):
    review_round, _cases = _ranked_round(["保留三个的案例"])
    older = [_ready_bundle(review_round, days_ago=d) for d in (5, 4, 3)]
    other_round, _other = _ranked_round(["别的轮次"])
    elsewhere = _ready_bundle(other_round, days_ago=6)
    office = client_of(UserFactory(administrator=True))

    newest = _ask(office, review_round, django_capture_on_commit_callbacks, top="1")

    assert newest.status == BundleStatus.READY, newest.error
    statuses = {
        b.pk: b.status for b in CommitteeBundle.objects.filter(pk__in=[b.pk for b in older])
    }
    assert statuses == {
        older[0].pk: BundleStatus.EXPIRED,
        older[1].pk: BundleStatus.READY,
        older[2].pk: BundleStatus.READY,
    }
    elsewhere.refresh_from_db()
    assert elsewhere.status == BundleStatus.READY  # another round's bundles are its own


@pytest.mark.parametrize("top", ["abc", "0", "-3", "2.5", "9" * 30, "9" * 5000, "²", "1e3"])
def test_a_bad_top_n_is_refused_with_a_message(top, django_capture_on_commit_callbacks):
    review_round, _cases = _ranked_round(["案例一"])
    office = client_of(UserFactory(administrator=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = office.post(
            reverse("manage:bundle-request", kwargs={"pk": review_round.pk}),
            {"top": top},
            follow=True,
        )
    assert r.status_code == 200
    assert "前 N 名须为正整数" in r.content.decode()
    assert not CommitteeBundle.objects.exists() and not callbacks


def test_a_round_without_ranking_or_with_a_bundle_on_the_way_gets_none(
    django_capture_on_commit_callbacks,
):
    campaign = ranking_campaign()
    unranked = make_closed_round(campaign)
    office = client_of(UserFactory(administrator=True))
    url = reverse("manage:bundle-request", kwargs={"pk": unranked.pk})
    r = office.post(url, follow=True)
    assert "请先计算排名" in r.content.decode()
    assert not CommitteeBundle.objects.exists()

    review_round, _cases = _ranked_round(["案例一"])
    url = reverse("manage:bundle-request", kwargs={"pk": review_round.pk})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        office.post(url, {"top": ""})
        r = office.post(url, {"top": ""}, follow=True)  # a double click
    assert "正在生成" in r.content.decode()
    bundle = CommitteeBundle.objects.get()
    assert (bundle.status, bundle.top, len(callbacks)) == (BundleStatus.QUEUED, None, 1)
    # Not ready: nothing to download yet; the page shows it queued.
    assert (
        office.get(reverse("manage:bundle-download", kwargs={"pk": bundle.pk})).status_code == 404
    )
    page = office.get(reverse("manage:ranking", kwargs={"pk": review_round.pk})).content.decode()
    assert "排队中" in page


def test_a_redelivered_task_does_not_build_twice(django_capture_on_commit_callbacks):
    from reviews.documents.bundle_services import build_bundle

    review_round, _cases = _ranked_round(["案例一"])
    bundle = CommitteeBundle.objects.create(
        round=review_round, requested_by=None, status=BundleStatus.READY
    )
    assert build_bundle(bundle.pk) is None
    assert build_bundle(999_999) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_each_bundle_once():
    review_round, _cases = _ranked_round(["同时过期的案例"])
    old = [_ready_bundle(review_round, days_ago=40) for _ in range(3)]
    names = [b.file.name for b in old]

    counts = run_together(expire_committee_bundles.run, expire_committee_bundles.run)

    assert sum(counts) == 3  # skip_locked: each row taken by one run
    assert set(
        CommitteeBundle.objects.filter(pk__in=[b.pk for b in old]).values_list("status", flat=True)
    ) == {BundleStatus.EXPIRED}
    assert not any(default_storage.exists(name) for name in names)


def test_a_bundle_queued_too_long_says_the_documents_worker_may_be_down(
    django_capture_on_commit_callbacks,
):
    review_round, _cases = _ranked_round(["排队的案例"])
    office = client_of(UserFactory(administrator=True))
    with django_capture_on_commit_callbacks(execute=False):  # no worker takes it
        office.post(reverse("manage:bundle-request", kwargs={"pk": review_round.pk}))
    bundle = CommitteeBundle.objects.get(round=review_round)
    page = reverse("manage:ranking", kwargs={"pk": review_round.pk})
    hint = "排队已超过 10 分钟"

    assert hint not in office.get(page).content.decode()
    CommitteeBundle.objects.filter(pk=bundle.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert hint in office.get(page).content.decode()


def test_a_bundle_waiting_behind_one_being_built_is_not_blamed_on_the_worker(
    django_capture_on_commit_callbacks,
):
    review_round, _cases = _ranked_round(["排在后面的案例"])
    other_round, _other = _ranked_round(["正在生成的案例"])
    CommitteeBundle.objects.create(
        round=other_round, status=BundleStatus.BUILDING, started_at=timezone.now()
    )
    office = client_of(UserFactory(administrator=True))
    with django_capture_on_commit_callbacks(execute=False):
        office.post(reverse("manage:bundle-request", kwargs={"pk": review_round.pk}))
    CommitteeBundle.objects.filter(round=review_round).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )

    page = office.get(reverse("manage:ranking", kwargs={"pk": review_round.pk})).content.decode()

    assert "排队中" in page and "排队已超过 10 分钟" not in page
