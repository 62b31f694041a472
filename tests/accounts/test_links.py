"""Links in e-mails come from SITE_URL, never from the request's Host (issue 15).

Behind a reverse proxy the Host (or X-Forwarded-Host) header is whatever the client
sent. A reset link built from it would carry a valid token to the attacker's site
("password-reset poisoning"); so every e-mailed link starts with SITE_URL, even when
the host is one ALLOWED_HOSTS accepts.
"""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role, User
from tests.factories import UserFactory
from tests.helpers import mailed_link

pytestmark = pytest.mark.django_db

SITE = "https://awards.example.org"
EVIL = "evil.example"


@pytest.fixture
def hostile(settings):
    """SITE_URL is the real site; the request comes in with a host ALLOWED_HOSTS accepts."""
    settings.SITE_URL = SITE + "/"
    settings.ALLOWED_HOSTS = [EVIL, "testserver"]
    settings.USE_X_FORWARDED_HOST = True
    return {"HTTP_HOST": EVIL, "HTTP_X_FORWARDED_HOST": EVIL, "HTTP_X_FORWARDED_PROTO": "http"}


@pytest.mark.parametrize("headers", ["host", "forwarded host"])
def test_a_reset_asked_for_through_another_host_mails_a_site_url_link(
    hostile, headers, django_capture_on_commit_callbacks
):
    UserFactory(expert=True, email="reset.me@example.org")
    extra = {"HTTP_HOST": EVIL} if headers == "host" else {"HTTP_X_FORWARDED_HOST": EVIL}
    with django_capture_on_commit_callbacks(execute=True):
        r = Client().post("/accounts/password/reset/", {"email": "reset.me@example.org"}, **extra)
    assert r.status_code == 302
    [message] = mail.outbox
    link = mailed_link("reset.me@example.org", "/accounts/password/reset/")
    assert link.startswith(SITE + "/accounts/password/reset/")
    assert EVIL not in message.body
    assert EVIL not in message.alternatives[0][0]


def test_an_invitation_sent_through_another_host_mails_a_site_url_link(
    hostile, django_capture_on_commit_callbacks
):
    admin = UserFactory(administrator=True)
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/manage/accounts/new/",
            {
                "display_name": "郑受邀",
                "email": "zheng@example.org",
                "phone": "",
                "role": Role.EXPERT,
                "organisation": "",
                "username": "",
            },
            **hostile,
        )
        assert r.status_code == 302
        user = User.objects.get(email="zheng@example.org")
        # ... and again with the "resend invitation" button.
        assert client.post(f"/manage/accounts/{user.pk}/invite/", **hostile).status_code == 302
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert EVIL not in message.body
    assert mailed_link("zheng@example.org", "/accounts/invitation/").startswith(
        SITE + "/accounts/invitation/"
    )
