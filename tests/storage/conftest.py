"""The stores files live in: a folder (always) and an S3-compatible server (moto).

`scripts/services.sh` starts moto and exports TEST_S3_ENDPOINT_URL. Without it the S3
cases skip, unless REQUIRE_S3=1, which makes them fail. Each S3 case gets a fresh bucket
and STORAGES["default"] built by the settings' own function (config/settings/storage.py)
from the STORAGE_* variables, with a key prefix so the prefix is exercised too.
"""

import os
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import environ
import pytest
from botocore.config import Config
from django.test import Client
from django.utils import timezone

from config.settings.storage import default_storage
from reform_cases.models import CampaignStatus
from tests.factories import CampaignFactory, UserFactory, draft_case, open_campaign

LOCATION = "awards"
KEYS = {"STORAGE_ACCESS_KEY_ID": "test-key", "STORAGE_SECRET_ACCESS_KEY": "test-secret"}


def s3_endpoint() -> str:
    url = os.environ.get("TEST_S3_ENDPOINT_URL", "")
    if not url:
        message = "TEST_S3_ENDPOINT_URL is not set (scripts/services.sh starts an S3 server)"
        if os.environ.get("REQUIRE_S3") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def s3_entry(monkeypatch, **variables) -> dict:
    """STORAGES["default"] as the settings build it from these STORAGE_* variables."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return default_storage(environ.Env())


class LocalStore:
    kind = "local"

    def __init__(self, root: Path):
        self.root = root

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def remove(self, name: str) -> None:
        (self.root / name).unlink()


class S3Store:
    kind = "s3"

    def __init__(self, endpoint: str, bucket: str):
        self.endpoint = endpoint
        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEYS["STORAGE_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["STORAGE_SECRET_ACCESS_KEY"],
        )

    def keys(self) -> list[str]:
        answer = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def names(self) -> list[str]:
        """The storage names (the keys without the prefix); every key must carry it."""
        keys = self.keys()
        assert all(key.startswith(f"{LOCATION}/") for key in keys), keys
        return [key.removeprefix(f"{LOCATION}/") for key in keys]

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=f"{LOCATION}/{name}")["Body"].read()

    def remove(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=f"{LOCATION}/{name}")


@pytest.fixture
def local_store(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return LocalStore(settings.MEDIA_ROOT)


@pytest.fixture
def s3_store(settings, tmp_path, monkeypatch):
    endpoint = s3_endpoint()
    # Nothing may reach the folder while the S3 store is in use.
    settings.MEDIA_ROOT = tmp_path / "media"
    store = S3Store(endpoint, f"awards-test-{uuid.uuid4().hex[:16]}")
    store.client.create_bucket(Bucket=store.bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_entry(
            monkeypatch,
            STORAGE_BUCKET=store.bucket,
            STORAGE_ENDPOINT_URL=endpoint,
            STORAGE_LOCATION=LOCATION,
            **KEYS,
        ),
    }
    yield store
    # Buckets are not removed: the test's transaction rolls back after this teardown and
    # deletes its files then; moto keeps the empty buckets in memory until it stops.
    assert not (tmp_path / "media").exists()


@pytest.fixture
def store_at(settings, monkeypatch):
    """store_at(endpoint, bucket): the default storage pointed there, one attempt per request
    (botocore's retries would only make a refusal slower to test)."""

    def point(*, endpoint: str, bucket: str) -> None:
        entry = s3_entry(monkeypatch, STORAGE_BUCKET=bucket, STORAGE_ENDPOINT_URL=endpoint, **KEYS)
        entry["OPTIONS"]["client_config"] = entry["OPTIONS"]["client_config"].merge(
            Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2)
        )
        settings.STORAGES = {**settings.STORAGES, "default": entry}

    return point


@pytest.fixture(params=["local", "s3"])
def store(request):
    """Each case once per store."""
    return request.getfixturevalue(f"{request.param}_store")


# --- people and campaigns -------------------------------------------------------------------


@pytest.fixture
def people(db):
    organisation_user = UserFactory(locality=True)
    people = {"locality": organisation_user, "admin": UserFactory(administrator=True)}
    clients = {}
    for role, user in people.items():
        clients[role] = Client()
        clients[role].force_login(user)
    clients["anonymous"] = Client()
    return people | {"clients": clients}


@pytest.fixture
def draft(people):
    """A draft of the locality's organisation in a campaign taking submissions."""
    return draft_case(open_campaign(), people["locality"].organisation, title="数字政府改革")


@pytest.fixture
def noticed_campaign(db):
    """A campaign whose public notice runs for a week: anyone may object."""
    return CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=7),
    )


@pytest.fixture
def calling_campaign(db):
    """A campaign whose call for entries is open: its templates are public."""
    return open_campaign()
