"""The client's address: REMOTE_ADDR, or the Nth X-Forwarded-For entry from the right behind
N trusted proxies; never an entry the client wrote."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from common.client_address import client_address

PROXY = "127.0.0.1"  # nginx on the same host
REAL = "203.0.113.7"
FORGED = "198.51.100.66"


def address(remote=PROXY, forwarded=None):
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    return client_address(request)


@pytest.fixture
def proxies(settings):
    def trust(count, ips=()):
        settings.TRUSTED_PROXY_COUNT = count
        settings.TRUSTED_PROXY_IPS = list(ips)

    trust(0)
    return trust


# --- a direct connection (the default) ----------------------------------------------------


def test_direct_connection_is_the_default(proxies):
    assert address(remote=REAL) == REAL


def test_direct_connection_ignores_a_forged_forwarded_for(proxies):
    assert address(remote=REAL, forwarded=FORGED) == REAL
    assert address(remote=REAL, forwarded=f"{FORGED}, 192.0.2.1") == REAL


def test_other_client_headers_are_never_read(proxies):
    proxies(1)
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=FORGED, HTTP_CLIENT_IP=FORGED
    )
    assert client_address(request) == PROXY


def test_no_remote_address_is_none(proxies):
    assert address(remote=None) is None
    assert address(remote="") is None
    assert address(remote="not-an-address") is None


def test_ipv4_mapped_and_ipv6_addresses_are_normalised(proxies):
    assert address(remote="::ffff:192.0.2.10") == "192.0.2.10"
    assert address(remote="2001:DB8:0:0::1") == "2001:db8::1"


# --- behind one proxy ---------------------------------------------------------------------


def test_one_trusted_proxy_takes_the_entry_it_appended(proxies):
    proxies(1)
    assert address(forwarded=REAL) == REAL
    assert address(forwarded=f"{FORGED}, {REAL}") == REAL
    assert address(forwarded=f"{FORGED},{FORGED},   {REAL}") == REAL


def test_one_trusted_proxy_never_takes_the_leftmost_entry(proxies):
    proxies(1)
    assert address(forwarded=f"{REAL}, 192.0.2.200") == "192.0.2.200"


@pytest.mark.parametrize(
    "forged_part",
    ['"', f'"{FORGED}', f'for="{FORGED}', "unknown", "x" * 5000, "", ";;;", "[::1"],
)
def test_junk_written_by_the_client_cannot_hide_the_proxy_entry(proxies, forged_part):
    proxies(1)
    assert address(forwarded=f"{forged_part}, {REAL}") == REAL


def test_behind_the_proxy_without_the_header_the_proxy_is_the_client(proxies):
    proxies(1)
    assert address(forwarded=None) == PROXY
    assert address(forwarded="") == PROXY


def test_an_entry_that_is_no_address_falls_back_to_remote_addr(proxies):
    proxies(1)
    assert address(forwarded=f"{REAL}, not-an-address") == PROXY
    assert address(forwarded="0.0.0.0") == PROXY


def test_ipv6_client_behind_the_proxy(proxies):
    proxies(1)
    assert address(forwarded=f"{FORGED}, 2001:DB8::5") == "2001:db8::5"


# --- behind two proxies -------------------------------------------------------------------


def test_two_trusted_proxies_take_the_second_entry_from_the_right(proxies):
    proxies(2)
    outer = "192.0.2.50"  # the address the inner proxy saw: the outer proxy
    assert address(forwarded=f"{FORGED}, {REAL}, {outer}") == REAL
    assert address(forwarded=f"{REAL}, {outer}") == REAL


def test_a_request_that_bypassed_the_outer_proxy_is_not_trusted(proxies):
    proxies(2)
    # Only one entry: the inner proxy's. Who wrote the rest is unknown.
    assert address(forwarded=REAL) == PROXY


# --- the trusted proxy's own address ------------------------------------------------------


def test_trusted_proxy_addresses_restrict_who_may_send_the_header(proxies):
    proxies(1, ips=["127.0.0.1", "10.0.0.0/8"])
    assert address(remote="127.0.0.1", forwarded=f"{FORGED}, {REAL}") == REAL
    assert address(remote="10.20.30.40", forwarded=f"{FORGED}, {REAL}") == REAL
    # Someone reaching the application server around the proxy.
    assert address(remote="192.0.2.99", forwarded=f"{FORGED}, {REAL}") == "192.0.2.99"
    assert address(remote="2001:db8::9", forwarded=REAL) == "2001:db8::9"


def test_the_function_is_django_axes_client_address():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "common.client_address.client_address"


# --- settings -----------------------------------------------------------------------------


def settings_value(expression, **environment):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_IPS", "TRUST_X_FORWARDED_FOR"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env.update(environment)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_default_to_a_direct_connection():
    r = settings_value("settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_IPS")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0 []"


def test_deprecated_trust_x_forwarded_for_means_one_proxy():
    r = settings_value("settings.TRUSTED_PROXY_COUNT", TRUST_X_FORWARDED_FOR="true")
    assert r.stdout.strip() == "1", r.stderr
    r = settings_value(
        "settings.TRUSTED_PROXY_COUNT", TRUST_X_FORWARDED_FOR="true", TRUSTED_PROXY_COUNT="2"
    )
    assert r.stdout.strip() == "2", r.stderr


@pytest.mark.parametrize(
    "environment,message",
    [
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_PROXY_IPS": "127.0.0.1,nginx.local"}, "TRUSTED_PROXY_IPS"),
    ],
)
def test_a_wrong_proxy_setting_stops_the_start(environment, message):
    r = settings_value("settings.TRUSTED_PROXY_COUNT", **environment)
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr and message in r.stderr
