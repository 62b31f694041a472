"""After log-in each role lands on its own pages unless ?next= says otherwise, with or without
the two-factor code step."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory, enrol_two_factor
from tests.helpers import totp_code

LOGIN = "/accounts/login/"
CODE_STEP = "/accounts/login/code/"

LANDINGS = {
    "administrator": "/manage/",
    "expert": "/review/",
    "locality": "/cases/mine/",
}


def log_in(client, user, next_url=None):
    path = LOGIN + (f"?next={next_url}" if next_url else "")
    return client.post(path, {"username": user.username, "password": PASSWORD})


@pytest.mark.parametrize("role,landing", LANDINGS.items())
def test_each_role_lands_on_its_own_pages(make_user, role, landing):
    client = Client()

    r = log_in(client, make_user(role))

    assert r.status_code == 302
    assert r["Location"] == landing
    assert client.get(landing).status_code == 200


def test_a_user_without_a_role_lands_on_the_home_page(db):
    r = log_in(Client(), UserFactory())
    assert r["Location"] == "/"


def test_next_wins_over_the_landing_page(make_user):
    r = log_in(Client(), make_user("administrator"), next_url="/notifications/")
    assert r["Location"] == "/notifications/"


def test_a_foreign_next_is_ignored_for_the_landing_page(make_user):
    r = log_in(Client(), make_user("expert"), next_url="https://evil.example/")
    assert r["Location"] == "/review/"


def test_the_login_page_sends_a_signed_in_user_to_their_landing_page(client_for):
    r = client_for("locality").get(LOGIN)
    assert r.status_code == 302
    assert r["Location"] == "/cases/mine/"


@pytest.mark.parametrize("role,landing", LANDINGS.items())
def test_the_code_step_lands_each_role_on_its_own_pages(make_user, role, landing):
    user = make_user(role)
    device, _codes = enrol_two_factor(user)
    client = Client()
    assert log_in(client, user)["Location"] == CODE_STEP

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert r.status_code == 302
    assert r["Location"] == landing


def test_the_code_step_keeps_next(make_user):
    user = make_user("administrator")
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in(client, user, next_url="/notifications/")

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert r["Location"] == "/notifications/"
