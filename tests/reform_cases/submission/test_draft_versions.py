"""Two writers of one draft (issue 15): a save from an older version is refused, not lost."""

import re

import pytest
from django.urls import reverse

from reform_cases.models import Case
from reform_cases.submission import services as submission_services
from tests.factories import CountyFactory, draft_case, form_data, open_campaign
from tests.helpers import client_of, message_text, section

STALE = "此草稿已被他人(或另一窗口)修改并保存,您的修改尚未保存。"
INVALID = "页面的版本信息无效"


@pytest.fixture
def campaign(db):
    return open_campaign()


@pytest.fixture
def draft(campaign, owning_organisation):
    return draft_case(campaign, owning_organisation, title="两人同改的草稿", summary="最初的简介。")


@pytest.fixture
def two_writers(make_user):
    """Two people of the owning organisation, each signed in on their own browser."""
    return client_of(make_user("locality")), client_of(make_user("locality"))


def edit_url(case):
    return reverse("cases:edit", kwargs={"pk": case.pk})


def version_on_page(html: str) -> str:
    return re.search(r'name="edit_version" value="([^"]*)"', html).group(1)


def test_the_edit_page_carries_the_drafts_version(draft, two_writers):
    first, _ = two_writers
    assert version_on_page(first.get(edit_url(draft)).content.decode()) == "1"


def test_each_save_raises_the_version(draft, two_writers):
    first, _ = two_writers
    for version, summary in ((1, "第一次保存。"), (2, "第二次保存。")):
        response = first.post(edit_url(draft), form_data(draft, summary=summary))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert (draft.edit_version, draft.summary) == (version + 1, summary)
    assert version_on_page(first.get(edit_url(draft)).content.decode()) == "3"


def test_the_second_of_two_saves_from_one_version_is_refused_and_keeps_its_text(draft, two_writers):
    first, second = two_writers
    # Both opened the page at version 1.
    theirs = form_data(draft, summary="甲保存的简介。", title="甲改的标题")
    mine = form_data(draft, summary="乙写了很久的简介。", measures="乙补充的做法。")

    assert first.post(edit_url(draft), theirs).status_code == 302
    response = second.post(edit_url(draft), mine)

    assert response.status_code == 200
    assert STALE in message_text(response)
    html = response.content.decode()
    # What the second person typed is still in the form …
    assert "乙写了很久的简介。" in html and "乙补充的做法。" in html
    # … and the stored version of each differing section is shown beside it.
    conflict = section(html, "draft-conflict")
    assert "甲保存的简介。" in conflict and "乙写了很久的简介。" in conflict
    # The title differs too: the second person kept the old one.
    assert "甲改的标题" in conflict and "两人同改的草稿" in conflict
    assert 'name="take_stored" value="summary"' in conflict
    assert 'name="take_stored" value="contact_name"' not in conflict  # the same in both
    assert reverse("cases:edit", kwargs={"pk": draft.pk}) in conflict  # discard mine, open theirs
    # The page now holds the stored version: saving it again is a deliberate choice.
    assert version_on_page(html) == "2"
    draft.refresh_from_db()
    assert (draft.summary, draft.title, draft.measures, draft.edit_version) == (
        "甲保存的简介。",
        "甲改的标题",
        "",
        2,
    )


def test_saving_again_after_the_comparison_keeps_what_was_typed(draft, two_writers):
    first, second = two_writers
    assert first.post(edit_url(draft), form_data(draft, summary="甲的简介。")).status_code == 302
    refused = second.post(edit_url(draft), form_data(draft, summary="乙的简介。"))
    assert refused.status_code == 200

    shown = version_on_page(refused.content.decode())
    again = second.post(edit_url(draft), form_data(draft, summary="乙的简介。", edit_version=shown))

    assert again.status_code == 302
    draft.refresh_from_db()
    assert (draft.summary, draft.edit_version) == ("乙的简介。", 3)


def test_a_section_can_be_taken_from_the_stored_version(draft, two_writers):
    first, second = two_writers
    theirs = form_data(draft, summary="甲的简介。", results="甲写的成效。")
    assert first.post(edit_url(draft), theirs).status_code == 302
    second.post(edit_url(draft), form_data(draft, summary="乙的简介。", results="乙写的成效。"))

    response = second.post(
        edit_url(draft),
        form_data(
            draft,
            summary="乙的简介。",
            results="乙写的成效。",
            edit_version=2,
            take_stored=["results"],
        ),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.summary, draft.results) == ("乙的简介。", "甲写的成效。")


def test_a_stale_save_of_exactly_the_stored_text_is_not_refused(draft, two_writers):
    first, second = two_writers
    same = form_data(draft, summary="两人写的一样。")
    assert first.post(edit_url(draft), same).status_code == 302
    response = second.post(edit_url(draft), same)
    assert response.status_code == 302  # nothing would be lost
    draft.refresh_from_db()
    assert (draft.summary, draft.edit_version) == ("两人写的一样。", 2)


@pytest.mark.parametrize("forged", ["abc", "", "0", "-3", "1.5", "99999999999999999999"])
def test_a_forged_version_is_refused_with_a_message(draft, two_writers, forged):
    first, _ = two_writers
    response = first.post(
        edit_url(draft), form_data(draft, summary="伪造版本的简介。", edit_version=forged)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert INVALID in html
    assert "伪造版本的简介。" in html  # what was typed stays
    assert "最初的简介。" in section(html, "draft-conflict")  # and the stored text is shown
    assert version_on_page(html) == "1"
    draft.refresh_from_db()
    assert (draft.summary, draft.edit_version) == ("最初的简介。", 1)


def test_a_version_ahead_of_the_stored_one_is_refused(draft, two_writers):
    first, _ = two_writers
    response = first.post(edit_url(draft), form_data(draft, summary="来自未来。", edit_version=7))
    assert response.status_code == 200
    assert INVALID in message_text(response)
    assert "来自未来。" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.summary, draft.edit_version) == ("最初的简介。", 1)


def test_a_missing_version_is_refused_with_a_message(draft, two_writers):
    first, _ = two_writers
    data = form_data(draft, summary="没有版本的页面。")
    del data["edit_version"]
    response = first.post(edit_url(draft), data)
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    draft.refresh_from_db()
    assert draft.summary == "最初的简介。"


# The service (autosave will call it with the version its page holds) -----------------------


def test_update_draft_returns_the_new_version(draft, make_user):
    locality = make_user("locality")
    saved = submission_services.update_draft(
        case=draft, by=locality, data={"summary": "一"}, expected_version=1
    )
    assert saved.edit_version == 2
    saved = submission_services.update_draft(
        case=draft, by=locality, data={"summary": "二"}, expected_version=saved.edit_version
    )
    assert saved.edit_version == 3
    assert Case.objects.get(pk=draft.pk).edit_version == 3


def test_update_draft_from_an_older_version_raises_with_the_stored_case(draft, make_user):
    locality = make_user("locality")
    partner = CountyFactory(name="后加的合作县")
    submission_services.update_draft(
        case=draft,
        by=locality,
        data={"summary": "先存的。"},
        co_organisations=[partner],
        expected_version=1,
    )
    with pytest.raises(submission_services.DraftChanged) as caught:
        submission_services.update_draft(
            case=draft,
            by=locality,
            data={"summary": "后存的。"},
            co_organisations=[],
            expected_version=1,
        )
    assert caught.value.current.edit_version == 2
    rows = {row["name"]: row for row in caught.value.differences}
    assert set(rows) == {"summary", "co_organisations"}
    assert (rows["summary"]["stored"], rows["summary"]["typed"]) == ("先存的。", "后存的。")
    assert rows["co_organisations"]["stored"] == "后加的合作县"
    draft.refresh_from_db()
    assert (draft.summary, draft.edit_version) == ("先存的。", 2)
    assert list(draft.co_organisations.all()) == [partner]
