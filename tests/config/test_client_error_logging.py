"""A 403 or a 404 is logged once, as one warning without a traceback; a 500 keeps its own."""

import logging
import sys

import pytest
from django.test import Client

from common.log_filters import ClientErrorsWithoutTraceback


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_404_is_one_warning_without_a_traceback(db, caplog):
    with caplog.at_level(logging.INFO):
        r = Client().get("/no-such-page/")

    assert r.status_code == 404
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Not Found: /no-such-page/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_an_object_one_may_not_see_is_a_404_logged_the_same_way(client_for, caplog):
    with caplog.at_level(logging.INFO):
        r = client_for("locality").get("/manage/cases/999999/")

    assert r.status_code in (403, 404)
    [record] = request_records(caplog)
    assert record.exc_info is None


def test_permission_denied_is_one_warning_without_a_traceback(client_for, caplog):
    client = client_for("expert")
    with caplog.at_level(logging.INFO):
        r = client.get("/manage/")

    assert r.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /manage/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("status,keeps", [(403, False), (404, False), (500, True), (None, True)])
def test_the_filter_drops_tracebacks_of_403_and_404_only(status, keeps):
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), exc_info)
    if status is not None:
        record.status_code = status

    assert ClientErrorsWithoutTraceback().filter(record) is True
    assert (record.exc_info is not None) is keeps


def test_the_settings_put_the_filter_on_django_request():
    from config.settings import base

    assert "client_errors" in base.LOGGING["loggers"]["django.request"]["filters"]
    assert base.LOGGING["loggers"]["django"]["handlers"] == []  # nothing printed twice


def test_favicon_ico_redirects_to_the_static_icon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 302
    assert r["Location"].startswith("/static/favicon") and r["Location"].endswith(".svg")


def test_pages_link_the_favicon(db, client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
