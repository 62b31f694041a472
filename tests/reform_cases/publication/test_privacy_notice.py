"""The privacy notice: both languages, the retention period read from the settings, and a link
from every page whose form collects personal data."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import CampaignFactory, UserFactory, draft_case, open_campaign

NOTE = "data-privacy-note"


def test_privacy_page_in_chinese_states_the_configured_retention_period(client, db, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 200
    settings.PRIVACY_CONTACT = "privacy@office.example"

    html = client.get(reverse("privacy")).content.decode()

    assert '<html lang="zh-CN">' in html
    assert "个人信息保护说明" in html
    assert "评选结果发布 200 天后清除" in html  # the case contacts' and objectors' rows
    assert "365" not in html  # the default is not hard-coded anywhere on the page
    for row in ("case-contacts", "accounts", "experts", "objectors", "login-records"):
        assert f'id="privacy-{row}"' in html
    assert "联系电话" in html and "网络地址" in html
    assert "privacy@office.example" in html


def test_privacy_page_in_english(client, db, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 90
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"

    r = client.get(reverse("privacy"))

    html = r.content.decode()
    assert r.status_code == 200
    assert '<html lang="en">' in html
    assert "90" in html
    assert 'id="privacy-requests"' in html


def _objection_page(client):
    campaign = CampaignFactory(
        status="notice", published_at=None, notice_ends_at=timezone.now() + timedelta(days=5)
    )
    return client.get(reverse("results:objection", kwargs={"year": campaign.year}))


def _case_form_page(client):
    client.force_login(client.user)
    case = draft_case(open_campaign(), client.user.organisation)
    return client.get(reverse("cases:edit", kwargs={"pk": case.pk}))


def _office_page(name, **kwargs):
    def get(client):
        if name == "manage:expert-edit":
            kwargs["pk"] = UserFactory(expert=True).pk
        return client.get(reverse(name, kwargs=kwargs))

    return get


PAGES = [
    ("results:objection", "anonymous", _objection_page),
    ("cases:edit", "locality", _case_form_page),
    ("accounts:login", "anonymous", lambda c: c.get(reverse("accounts:login"))),
    ("manage:account-create", "administrator", _office_page("manage:account-create")),
    ("manage:account-import", "administrator", _office_page("manage:account-import")),
    ("manage:expert-edit", "administrator", _office_page("manage:expert-edit")),
    ("manage:expert-import", "administrator", _office_page("manage:expert-import")),
]


@pytest.mark.parametrize("name,role,get", PAGES, ids=[p[0] for p in PAGES])
def test_every_form_collecting_personal_data_links_the_notice(client_for, name, role, get):
    r = get(client_for(role))

    assert r.status_code == 200
    html = r.content.decode()
    note = html[html.index(NOTE) :]
    # The link next to the form, not only the footer's.
    assert note.index(f'href="{reverse("privacy")}"') < note.index("</p>")
    assert html.index(NOTE) < html.index("<footer")


def test_the_site_footer_links_the_notice(client, db):
    html = client.get(reverse("privacy")).content.decode()
    footer = html[html.index("<footer") :]
    assert f'href="{reverse("privacy")}" data-privacy-footer' in footer
