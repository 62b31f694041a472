"""The restore drill: a published campaign with stored files is backed up, the site wiped
(tables dropped, every stored file deleted), restored, and must come back the same: rows,
files, the public pages byte for byte, the audit chain and the results verification.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL under services.sh)."""

import io
import json
import shutil
import sqlite3
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from common.backup.manifest import existing_tables, row_counts, stored_file_names
from reform_cases.campaigns import services as campaign_services
from reform_cases.models import Campaign, CampaignFile, CaseStatus, Objection
from reform_cases.publication import services as publication_services
from reviews.ranking import services as ranking_services
from tests.factories import PDF, CountyFactory, UserFactory, complete_case, open_campaign

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2031


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _schema_back_after_a_failure():
    """A test that fails between the wipe and the restore must not leave the next test
    without tables."""
    yield
    if "django_migrations" not in existing_tables():
        call_command("migrate", verbosity=0, interactive=False)


def upload(name: str, marker: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + marker.encode(), content_type="application/pdf")


def published_campaign_with_files() -> Campaign:
    """seed_demo's campaign (its shared sample attachment) published through the services,
    with two objections with files; and an open call with a template file and a draft with
    its own attachments."""
    admin = UserFactory(administrator=True)
    call_command("setup_site", "--no-demo", verbosity=0)
    call_command(
        "seed_demo", "--cases", "24", "--experts", "8", "--reviews-per-case", "3",
        "--seed", "3", "--year", str(YEAR), stdout=io.StringIO(),
    )  # fmt: skip
    Campaign.objects.filter(year=YEAR).update(is_demo=False)
    campaign = Campaign.objects.get(year=YEAR)
    review_round = campaign.rounds.get()
    for entry in ranking_services.unresolved(review_round):
        ranking_services.override_tier(entry=entry, by=admin, tier=None, reason="边界并列")
    ranking_services.lock_ranking(review_round=review_round, by=admin)
    ranking_services.publish_notice_from_ranking(
        review_round=review_round, by=admin, ends_at=timezone.now() + timedelta(hours=1)
    )
    campaign.refresh_from_db()  # on notice now: its cases are public
    case = campaign.cases.exclude(tier=None).order_by("rank").first()
    for n, name in enumerate(["证据.pdf", "补充说明.pdf"]):
        objection = publication_services.submit_objection(
            campaign=campaign, case=case, name=f"异议人{n}", contact="13800000000",
            text=f"第 {n} 条异议", ip="10.0.0.1", upload=upload(name, f"o{n}"),
        )  # fmt: skip
        publication_services.answer_objection(
            objection=objection, by=admin, decision="dismissed", answer="经核实,不成立。"
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    campaign.refresh_from_db()
    publication_services.publish_results(campaign=campaign, by=admin)

    call = open_campaign(year=YEAR + 1)
    campaign_services.add_campaign_file(
        campaign=call, by=admin, title="申报书模板", upload=upload("模板.pdf", "t")
    )
    locality = UserFactory(locality=True, organisation=CountyFactory())
    draft = complete_case(call, locality.organisation, locality)
    assert draft.status == CaseStatus.DRAFT and draft.attachments.count() == 2
    return campaign


def public_pages(campaign: Campaign) -> dict[str, bytes]:
    case = campaign.cases.exclude(tier=None).order_by("rank").first()
    pages = {}
    for url in (
        f"/results/{campaign.year}/",
        f"/cases/{case.pk}/",
        f"/results/{campaign.year}/export.csv",
        f"/calls/{campaign.year + 1}/",
        f"/calls/{campaign.year + 1}/files/{CampaignFile.objects.get().pk}/",
    ):
        cache.clear()
        response = Client().get(url)
        assert response.status_code == 200, url
        pages[url] = (
            b"".join(response.streaming_content) if response.streaming else response.content
        )
    return pages


def stored_hashes() -> dict[str, str]:
    import hashlib

    return {
        name: hashlib.sha256(default_storage.open(name).read()).hexdigest()
        for name in stored_file_names()
    }


def wipe_everything(media: Path):
    """Every table dropped and every stored file deleted: a new server with nothing on it."""
    connection.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        connection.ensure_connection()
        empty = sqlite3.connect(":memory:")
        empty.backup(connection.connection)  # every page replaced by an empty database's
        empty.close()
    shutil.rmtree(media)
    cache.clear()
    assert existing_tables() == set()


def restore(archive: Path, *options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("restore", str(archive), *options, stdout=out, stderr=err)
    except CommandError as exc:
        exc.out, exc.err = out.getvalue(), err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def backup(path: Path, *options) -> Path:
    call_command("backup", "--output", str(path), *options, stdout=io.StringIO())
    return path


def test_a_wiped_site_comes_back_from_its_backup_with_the_same_rows_files_and_pages(
    media, tmp_path
):
    campaign = published_campaign_with_files()
    counts, hashes, pages = row_counts(), stored_hashes(), public_pages(campaign)
    assert len(hashes) == 6  # seed_demo's shared file, the template, 2 objections, 2 attachments
    assert Objection.objects.exclude(file="").count() == 2
    archive = backup(tmp_path / "site.tar.gz")

    wipe_everything(media)
    out, _err = restore(archive)

    assert "恢复完成,核对通过" in out
    assert "审计链完好" in out
    assert f"{YEAR} 年度结果核验通过" in out
    assert row_counts() == counts
    assert stored_hashes() == hashes
    assert public_pages(Campaign.objects.get(year=YEAR)) == pages
    call_command("verify_results", str(YEAR), stdout=io.StringIO())
    call_command("verify_audit", stdout=io.StringIO())


def small_site(media) -> Path:
    admin = UserFactory(administrator=True)
    campaign = open_campaign(year=YEAR)
    campaign_services.add_campaign_file(
        campaign=campaign, by=admin, title="申报书模板", upload=upload("模板.pdf", "t")
    )
    return Path(media) / stored_file_names()[0]


def test_restore_into_a_site_that_has_data_is_refused_and_changes_nothing(media, tmp_path):
    stored = small_site(media)
    archive = backup(tmp_path / "site.tar")
    Campaign.objects.update(title="改过的标题")
    stored.write_bytes(b"changed since the backup")
    counts = row_counts()

    with pytest.raises(CommandError, match="目标数据库不是空的,拒绝恢复"):
        restore(archive)
    assert row_counts() == counts
    assert Campaign.objects.get().title == "改过的标题"
    assert stored.read_bytes() == b"changed since the backup"


def test_restore_over_files_of_the_same_names_needs_force_files(media, tmp_path):
    stored = small_site(media)
    archive = backup(tmp_path / "site.tar")
    original = stored.read_bytes()
    call_command("flush", interactive=False, verbosity=0)
    stored.write_bytes(b"left over")

    with pytest.raises(CommandError, match="存储中已有归档里的 1 个文件"):
        restore(archive)
    assert stored.read_bytes() == b"left over" and not Campaign.objects.exists()

    out, _err = restore(archive, "--force-files")
    assert "核对通过" in out
    assert stored.read_bytes() == original
    assert list(stored.parent.iterdir()) == [stored]  # overwritten, not saved beside it


def test_a_tampered_archive_is_refused_naming_the_file_and_nothing_changes(media, tmp_path):
    stored = small_site(media)
    name = stored_file_names()[0]
    archive = backup(tmp_path / "site.tar")
    with tarfile.open(archive) as tar:
        offset = tar.getmember(f"files/{name}").offset_data
    with archive.open("r+b") as raw:  # one byte of the file's content changed, size the same
        raw.seek(offset + 3)
        byte = raw.read(1)
        raw.seek(offset + 3)
        raw.write(bytes([byte[0] ^ 0xFF]))
    call_command("flush", interactive=False, verbosity=0)
    stored.unlink()

    with pytest.raises(CommandError, match="归档与其清单不符") as failure:
        restore(archive)
    assert name in str(failure.value) + failure.value.err
    assert not Campaign.objects.exists()
    assert not stored.exists()


def write_manifest(path: Path, manifest: dict) -> Path:
    with tarfile.open(path, "w") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return path


def test_a_truncated_or_foreign_archive_gives_a_clear_error(media, tmp_path):
    small_site(media)
    archive = backup(tmp_path / "site.tar.gz")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    foreign = write_manifest(tmp_path / "foreign.tar", {"format": "something-else"})
    escaping = write_manifest(
        tmp_path / "escaping.tar",
        {**manifest, "files": [{"name": "../../etc/cron.d/x", "size": 1, "sha256": "0" * 64}]},
    )
    not_a_tar = tmp_path / "notes.tar"
    not_a_tar.write_text("hello")

    for path, message in [
        (truncated, "归档已损坏或被截断"),
        (foreign, "不是本平台的备份归档"),
        (escaping, "不允许的文件名"),
        (not_a_tar, "不是可读的备份归档"),
        (tmp_path / "absent.tar", "找不到归档文件"),
    ]:
        with pytest.raises(CommandError, match=message):
            restore(path)


def test_a_missing_file_is_listed_in_the_manifest_and_fails_only_with_strict(media, tmp_path):
    stored = small_site(media)
    name = stored_file_names()[0]
    stored.unlink()

    archive = backup(tmp_path / "site.tar")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["missing_files"] == [name]
    assert manifest["files"] == []
    with pytest.raises(CommandError, match="--strict"):
        backup(tmp_path / "strict.tar", "--strict")
    assert not (tmp_path / "strict.tar").exists()


@pytest.fixture
def s3_store(settings, monkeypatch):
    """The default storage on an S3 bucket (moto in process): the archive must not care."""
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="drill")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "drill", "region_name": "us-east-1"},
            },
        }
        yield default_storage


def test_files_on_an_s3_store_are_backed_up_and_restored_under_the_same_names(s3_store, tmp_path):
    admin = UserFactory(administrator=True)
    call = open_campaign(year=YEAR)
    for title in ("申报书模板", "推荐函模板"):
        campaign_services.add_campaign_file(
            campaign=call, by=admin, title=title, upload=upload(f"{title}.pdf", title)
        )
    hashes, counts = stored_hashes(), row_counts()
    assert len(hashes) == 2 and s3_store.__class__.__name__ == "S3Storage"
    archive = backup(tmp_path / "site.tar")
    call_command("flush", interactive=False, verbosity=0)
    for name in hashes:
        s3_store.delete(name)
        assert not s3_store.exists(name)

    out, _err = restore(archive)
    assert "核对通过" in out
    assert stored_hashes() == hashes
    assert row_counts() == counts
