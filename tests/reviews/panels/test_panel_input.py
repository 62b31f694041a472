"""What the office sends on the panel, expert and round pages: a second click on "save", a
forged key no row can have (2**63), a panel named twice. Refused with a message, never a 500
(found by the hostile-input crawl, tests/hostile/)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reform_cases.models import CampaignEvent
from reviews.models import ExpertProfile, Panel, Visibility
from reviews.panels import services as panel_services
from reviews.panels.forms import PanelForm
from tests.factories import FieldFactory, make_expert, reviewing_campaign

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**63)


@pytest.fixture
def campaign():
    return reviewing_campaign()


def panel_data(expert, **overrides):
    return {"name": "数字化改革组", "members": [expert.pk], "chair": expert.pk, **overrides}


def test_a_second_click_on_save_makes_one_panel_and_says_why(campaign, office_client):
    expert = make_expert()
    url = reverse("manage:panels", kwargs={"pk": campaign.pk})

    first = office_client.post(url, panel_data(expert))
    second = office_client.post(url, panel_data(expert))

    assert first.status_code == 302
    assert second.status_code == 200
    html = second.content.decode()
    assert "本次评选已有名为“数字化改革组”的评审组,请换一个名称。" in html
    assert 'value="数字化改革组"' in html  # what was typed, kept
    assert campaign.panels.count() == 1


def test_renaming_a_panel_to_another_panels_name_is_refused(campaign, office_client):
    expert = make_expert()
    Panel.objects.create(campaign=campaign, name="基层治理组")
    panel = Panel.objects.create(campaign=campaign, name="数字化改革组")

    r = office_client.post(
        reverse("manage:panel-edit", kwargs={"pk": panel.pk}),
        panel_data(expert, name="基层治理组"),
    )

    assert r.status_code == 200
    assert "已有名为“基层治理组”的评审组" in r.content.decode()
    panel.refresh_from_db()
    assert panel.name == "数字化改革组"


def test_two_saves_at_once_end_in_a_message_not_an_integrity_error(campaign, make_user):
    """Both requests passed the form's check before either saved (two clicks at once)."""
    admin = make_user("administrator")
    expert = make_expert()
    form = PanelForm(panel_data(expert), instance=Panel(campaign=campaign))
    assert form.is_valid()
    Panel.objects.create(campaign=campaign, name="数字化改革组")  # the other click, first

    with pytest.raises(ValidationError) as exc:
        panel_services.save_panel(form=form, by=admin)

    assert "已有名为“数字化改革组”的评审组" in " ".join(exc.value.messages)
    assert campaign.panels.count() == 1
    assert not CampaignEvent.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("field", ["members", "chair", "fields"])
def test_a_key_no_row_can_have_is_an_invalid_choice_on_the_panel_form(
    campaign, office_client, field
):
    expert = make_expert()
    FieldFactory()  # crispy shows a checkbox list's error after its last box

    r = office_client.post(
        reverse("manage:panels", kwargs={"pk": campaign.pk}),
        panel_data(expert, **{field: TOO_BIG}),
    )

    assert r.status_code == 200
    assert "选择一个有效的选项" in r.content.decode()
    assert not campaign.panels.exists()


def test_a_key_no_row_can_have_is_an_invalid_choice_on_the_expert_form(office_client):
    expert = make_expert(institution="省外某大学")
    url = reverse("manage:expert-edit", kwargs={"pk": expert.pk})

    r = office_client.post(
        url,
        {"affiliation": TOO_BIG, "institution": "某研究院", "max_cases_per_round": "10"},
    )

    assert r.status_code == 200
    assert "选择一个有效的选项" in r.content.decode()
    assert ExpertProfile.objects.get(user=expert).institution == "省外某大学"


def test_a_key_no_row_can_have_is_an_invalid_choice_on_the_round_form(campaign, office_client):
    Panel.objects.create(campaign=campaign, name="数字化改革组")
    now = timezone.localtime(timezone.now())
    r = office_client.post(
        reverse("manage:rounds", kwargs={"pk": campaign.pk}),
        {
            "name": "初评",
            "order": "1",
            "panels": [TOO_BIG],
            "reviewers_per_case": "3",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            "visibility": Visibility.AFTER_CLOSE,
            "reminder_days": "3",
        },
    )

    assert r.status_code == 200
    assert "选择一个有效的选项" in r.content.decode()
    assert not campaign.rounds.exists()
