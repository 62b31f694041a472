"""Where files live, read from the environment (config/settings/storage.py).

Most cases call `default_storage` with the variables under test; two load the production
settings in a subprocess to show they honour the same variables.
"""

import json
import os
import subprocess
import sys

import environ
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from storages.backends.s3 import S3Storage

from config.settings.storage import FILESYSTEM, S3_BACKEND, default_storage

SECRET = "Sup3r-Secret-Value/with+chars"
VARIABLES = (
    "STORAGE_BUCKET",
    "STORAGE_ENDPOINT_URL",
    "STORAGE_ACCESS_KEY_ID",
    "STORAGE_SECRET_ACCESS_KEY",
    "STORAGE_REGION",
    "STORAGE_ADDRESSING_STYLE",
    "STORAGE_LOCATION",
)
COMPLETE = {
    "STORAGE_BUCKET": "reform-awards",
    "STORAGE_ENDPOINT_URL": "http://minio.internal:9000",
    "STORAGE_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "STORAGE_SECRET_ACCESS_KEY": SECRET,
}


def entry(monkeypatch, **values):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return default_storage(environ.Env())


def refusal(monkeypatch, **values) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        entry(monkeypatch, **values)
    message = str(caught.value)
    assert SECRET not in message
    return message


def test_without_a_bucket_files_stay_in_media_root(monkeypatch):
    assert entry(monkeypatch) == FILESYSTEM
    assert FILESYSTEM == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_region_style_and_prefix_alone_do_not_switch_the_store(monkeypatch):
    assert entry(monkeypatch, STORAGE_REGION="cn-north-1", STORAGE_LOCATION="x") == FILESYSTEM


def test_a_bucket_switches_to_a_private_s3_store_with_path_addressing(monkeypatch):
    storage = entry(monkeypatch, **COMPLETE)

    assert storage["BACKEND"] == S3_BACKEND == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert {k: v for k, v in options.items() if k != "client_config"} == {
        "bucket_name": "reform-awards",
        "endpoint_url": "http://minio.internal:9000",
        "access_key": "AKIAEXAMPLE",
        "secret_key": SECRET,
        "region_name": "us-east-1",
        "location": "",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "max_memory_size": 8 * 1024 * 1024,
    }
    assert options["client_config"].s3 == {"addressing_style": "path"}
    # The backend accepts these options as they are (no network call is made here).
    backend = S3Storage(**options)
    assert backend.bucket_name == "reform-awards" and backend.default_acl is None
    assert backend.connection.meta.client.meta.config.s3 == {"addressing_style": "path"}


def test_region_style_and_prefix_are_read(monkeypatch):
    options = entry(
        monkeypatch,
        **COMPLETE,
        STORAGE_REGION="cn-north-1",
        STORAGE_ADDRESSING_STYLE="Virtual",
        STORAGE_LOCATION="/province/files/",
    )["OPTIONS"]
    assert options["region_name"] == "cn-north-1"
    assert options["client_config"].s3 == {"addressing_style": "virtual"}
    assert options["location"] == "province/files"  # S3Storage refuses a leading "/"


def test_aws_itself_needs_no_endpoint(monkeypatch):
    values = {k: v for k, v in COMPLETE.items() if k != "STORAGE_ENDPOINT_URL"}
    assert entry(monkeypatch, **values)["OPTIONS"]["endpoint_url"] is None


@pytest.mark.parametrize("missing", ["STORAGE_ACCESS_KEY_ID", "STORAGE_SECRET_ACCESS_KEY"])
def test_a_bucket_without_both_keys_stops_the_start(monkeypatch, missing):
    values = {k: v for k, v in COMPLETE.items() if k != missing}
    message = refusal(monkeypatch, **values)
    assert missing in message


@pytest.mark.parametrize(
    "url",
    [
        "minio.internal:9000",  # no scheme
        "ftp://minio.internal",
        "http://minio.internal:ninety",
        "http://",
        "http://minio.internal:9000/?x=1",
    ],
)
def test_a_malformed_endpoint_stops_the_start(monkeypatch, url):
    message = refusal(monkeypatch, **{**COMPLETE, "STORAGE_ENDPOINT_URL": url})
    assert "STORAGE_ENDPOINT_URL" in message


@pytest.mark.parametrize("password", [SECRET, "plainsecret"])
def test_a_secret_pasted_into_the_endpoint_is_not_repeated(monkeypatch, password):
    url = f"http://AKIAEXAMPLE:{password}@minio.internal:9000"
    message = refusal(monkeypatch, **{**COMPLETE, "STORAGE_ENDPOINT_URL": url})
    assert "STORAGE_ENDPOINT_URL" in message and password not in message


@pytest.mark.parametrize("name", ["STORAGE_ENDPOINT_URL", "STORAGE_SECRET_ACCESS_KEY"])
def test_store_settings_without_a_bucket_stop_the_start(monkeypatch, name):
    message = refusal(monkeypatch, **{name: COMPLETE[name]})
    assert name in message and "STORAGE_BUCKET" in message


@pytest.mark.parametrize("bucket", ["Reform_Awards", "ab", "-awards"])
def test_an_invalid_bucket_name_stops_the_start(monkeypatch, bucket):
    assert "STORAGE_BUCKET" in refusal(monkeypatch, **{**COMPLETE, "STORAGE_BUCKET": bucket})


def test_an_unknown_addressing_style_stops_the_start(monkeypatch):
    message = refusal(monkeypatch, **COMPLETE, STORAGE_ADDRESSING_STYLE="dns")
    assert "STORAGE_ADDRESSING_STYLE" in message


# --- the settings modules ------------------------------------------------------------------

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "d = s.STORAGES['default']; o = d.get('OPTIONS', {}); "
    "print(json.dumps([d['BACKEND'], o.get('bucket_name'), o.get('endpoint_url')]))"
)


def load(settings_module, **variables):
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="awards.example.org",
        SITE_URL="https://awards.example.org",
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_honours_the_store_variables():
    r = load("config.settings.production", **COMPLETE)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [S3_BACKEND, "reform-awards", "http://minio.internal:9000"]


def test_production_refuses_a_half_configured_store_without_showing_the_secret():
    r = load(
        "config.settings.production",
        STORAGE_BUCKET="reform-awards",
        STORAGE_SECRET_ACCESS_KEY=SECRET,
    )
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr and "STORAGE_ACCESS_KEY_ID" in r.stderr
    assert SECRET not in r.stderr + r.stdout
