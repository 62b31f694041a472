"""Every select that chooses one organisation among some 120 has the type-to-search box of
static/js/forms.js (data-searchable), with a label the box takes over."""

import re

import pytest

from tests.factories import make_expert, open_campaign


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def select_tag(html, name):
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>', html)
    assert match, f"no select named {name}"
    return match.group(0)


def labelled(html, tag):
    select_id = re.search(r'id="([^"]+)"', tag).group(1)
    return f'for="{select_id}"' in html


def test_the_account_form_searches_organisations(office):
    html = office.get("/manage/accounts/new/").content.decode()
    tag = select_tag(html, "organisation")
    assert "data-searchable" in tag and labelled(html, tag)


def test_moving_an_account_searches_organisations(office, make_user):
    account = make_user("locality")
    html = office.get(f"/manage/accounts/{account.pk}/").content.decode()
    tag = select_tag(html, "organisation")
    assert "data-searchable" in tag and labelled(html, tag)


def test_the_expert_profile_searches_organisations(office):
    expert = make_expert(name="检索专家")
    html = office.get(f"/manage/experts/{expert.pk}/").content.decode()
    tag = select_tag(html, "affiliation")
    assert "data-searchable" in tag and labelled(html, tag)


def test_the_formal_check_filter_searches_organisations(office):
    campaign = open_campaign()
    html = office.get(f"/manage/campaigns/{campaign.pk}/cases/").content.decode()
    tag = select_tag(html, "organisation")
    assert "data-searchable" in tag and labelled(html, tag)


def test_the_case_form_searches_co_implementing_units(client_for):
    open_campaign()
    html = client_for("locality").get("/cases/new/").content.decode()
    tag = select_tag(html, "co_organisations")
    assert "data-searchable" in tag and labelled(html, tag)


def test_the_filter_script_labels_its_box_and_keeps_enter_from_submitting():
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "forms.js").read_text(encoding="utf-8")
    assert 'document.querySelectorAll("select[data-searchable]").forEach(searchable)' in script
    assert 'box.setAttribute("aria-label", name ? name + " · " + hint : hint)' in script
    assert 'event.key === "Enter"' in script and "event.preventDefault()" in script


def test_the_search_box_hint_is_in_the_page_language(office):
    """forms.js reads the hint from a <meta> the page writes in its own language."""
    hint = '<meta name="search-placeholder" content="{}">'
    assert hint.format("输入名称筛选") in office.get("/manage/accounts/new/").content.decode()
    office.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert hint.format("Type to filter") in office.get("/manage/accounts/new/").content.decode()
