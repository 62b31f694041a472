"""Log-in throttling counts per real client: behind the proxy, a forged X-Forwarded-For
neither dodges a lockout nor locks somebody else."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
CLIENT_A = "203.0.113.10"
CLIENT_B = "203.0.113.20"


def log_in(client, password, *, forwarded, remote=PROXY):
    return client.post(
        "/accounts/login/",
        {"username": "zhao", "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def signed_in(client):
    return client.session.get("_auth_user_id") is not None


@pytest.fixture
def zhao(db):
    return UserFactory(locality=True, username="zhao", email="zhao@example.org")


def test_behind_the_proxy_five_failures_lock_the_client_whatever_it_forges(settings, zhao):
    settings.TRUSTED_PROXY_COUNT = 1
    a = Client()
    # A new forged entry each time: the count follows the address the proxy saw.
    answers = [
        log_in(a, "wrong-password", forwarded=f"192.0.2.{n}, {CLIENT_A}").status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]

    r = log_in(a, PASSWORD, forwarded=f"192.0.2.99, {CLIENT_A}")
    assert r.status_code == 429 and not signed_in(a)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}


def test_behind_the_proxy_a_second_client_is_not_locked(settings, zhao):
    settings.TRUSTED_PROXY_COUNT = 1
    a = Client()
    for n in range(5):
        log_in(a, "wrong-password", forwarded=f"192.0.2.{n}, {CLIENT_A}")

    b = Client()
    # B behind the same proxy, even one claiming to be A, is counted as B.
    r = log_in(b, PASSWORD, forwarded=f"{CLIENT_A}, {CLIENT_B}")
    assert r.status_code == 302 and signed_in(b)


def test_direct_connection_ignores_the_header_so_forging_it_does_not_help(settings, zhao):
    settings.TRUSTED_PROXY_COUNT = 0
    attacker = Client()
    answers = [
        log_in(attacker, "wrong-password", forwarded=f"192.0.2.{n}", remote=CLIENT_A).status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    r = log_in(attacker, PASSWORD, forwarded="192.0.2.200", remote=CLIENT_A)
    assert r.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}
