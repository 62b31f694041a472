"""The log-in form refuses what no account can have before it reaches authenticate()."""

import pytest
from axes.models import AccessAttempt

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_an_over_long_user_name_is_refused_on_the_page_not_stored(client):
    # 200,000 characters used to reach django-axes' varchar(255) column: a 500 on PostgreSQL.
    r = client.post("/accounts/login/", {"username": "张" * 200_000, "password": "x"})
    assert r.status_code == 200
    assert r.context["form"].errors["username"]
    assert not AccessAttempt.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_user_name_of_the_longest_allowed_length_is_still_checked(client):
    r = client.post("/accounts/login/", {"username": "a" * 254, "password": "x"})
    assert r.status_code == 200
    assert "username" not in r.context["form"].errors  # a wrong name, not a refused field
    assert r.context["form"].non_field_errors()


def test_a_real_account_still_logs_in(client):
    user = UserFactory(username="zhou")
    r = client.post("/accounts/login/", {"username": "zhou", "password": PASSWORD})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
