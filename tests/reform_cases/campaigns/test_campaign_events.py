"""Every settings change of the office is on record, with who, when and before → after:
campaign settings and tiers, template files, rubric, panels, rounds, cases added, confirmations."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit import chain
from reform_cases.campaigns import services as campaign_services
from reform_cases.models import CampaignEvent, CampaignEventKind
from reviews.assignment import services as assignment_services
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Panel,
    ReviewRound,
    RoundEvent,
    RoundEventKind,
)
from reviews.panels.forms import PanelForm
from reviews.rounds import services as rounds_services
from reviews.rounds.forms import RoundForm
from tests.factories import (
    PDF,
    UserFactory,
    accepted_case_for_ranking,
    make_expert,
    ranking_campaign,
    tier_data,
)
from tests.helpers import client_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(administrator=True, display_name="组织方赵六")


@pytest.fixture
def campaign():
    return ranking_campaign(status="reviewing", max_cases_per_organisation=3, year=2033)


def events(campaign):
    return list(CampaignEvent.objects.filter(campaign=campaign).order_by("pk"))


def test_editing_settings_and_tiers_records_before_and_after(admin, campaign):
    office = client_of(admin)
    data = {
        "year": str(campaign.year),
        "title": campaign.title,
        "title_en": campaign.title_en,
        "max_cases_per_organisation": "5",
        "description": "",
        "call_for_entries": "",
        **tier_data(campaign, renamed={"excellent": "优秀案例"}),
    }

    r = office.post(f"/manage/campaigns/{campaign.pk}/edit/", data)

    assert r.status_code == 302
    settings, tiers = events(campaign)
    assert (settings.kind, settings.actor) == (CampaignEventKind.SETTINGS_CHANGED, admin)
    assert settings.note == "每单位申报上限:3 → 5"
    assert tiers.kind == CampaignEventKind.TIERS_CHANGED
    assert tiers.note == "“优秀实践案例”:名称:优秀实践案例 → 优秀案例"
    assert chain.verify() == []  # both are chained


def test_saving_without_a_change_records_nothing(admin, campaign):
    office = client_of(admin)
    data = {
        "year": str(campaign.year),
        "title": campaign.title,
        "title_en": campaign.title_en,
        "max_cases_per_organisation": "3",
        "description": "",
        "call_for_entries": "",
        **tier_data(campaign),
    }
    assert office.post(f"/manage/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert events(campaign) == []


def test_template_files_added_and_removed_are_recorded(admin, campaign):
    upload = SimpleUploadedFile("申报书模板.pdf", PDF, content_type="application/pdf")
    item = campaign_services.add_campaign_file(
        campaign=campaign, by=admin, title="申报书模板", upload=upload
    )
    campaign_services.remove_campaign_file(item=item, by=admin)
    kinds = [(e.kind, e.actor) for e in events(campaign)]
    assert kinds == [(CampaignEventKind.FILE_ADDED, admin), (CampaignEventKind.FILE_REMOVED, admin)]
    assert "申报书模板" in events(campaign)[0].note


def test_a_new_panel_and_its_changes_are_recorded(admin, campaign):
    expert = make_expert(name="孙评审")
    form = PanelForm(
        {"name": "数字化改革组", "members": [expert.pk]}, instance=Panel(campaign=campaign)
    )
    assert form.is_valid(), form.errors
    from reviews.panels import services as panel_services

    panel = panel_services.save_panel(form=form, by=admin)
    form = PanelForm({"name": "数字化改革评审组", "members": [expert.pk]}, instance=panel)
    assert form.is_valid(), form.errors
    panel_services.save_panel(form=form, by=admin)

    created, renamed = events(campaign)
    assert created.note == "新建评审组“数字化改革组”"
    assert renamed.note == "数字化改革评审组:名称:数字化改革组 → 数字化改革评审组"


def test_the_default_rubric_is_recorded(admin):
    campaign = ranking_campaign(status="reviewing")
    campaign.criteria.all().delete()
    rounds_services.ensure_default_rubric(campaign=campaign, by=admin)
    (event,) = events(campaign)
    assert (event.kind, event.note) == (CampaignEventKind.RUBRIC_CHANGED, "使用默认指标")


def test_rounds_cases_added_and_confirmations_are_recorded_on_the_round(admin, campaign):
    now = timezone.localtime()
    form = RoundForm(
        {
            "name": "初评", "order": 1, "reviewers_per_case": 1,
            "opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "visibility": "never", "reminder_days": 2,
        },
        instance=ReviewRound(campaign=campaign),
        campaign=campaign,
    )  # fmt: skip
    assert form.is_valid(), form.errors
    review_round = rounds_services.save_round(form=form, by=admin)
    case = accepted_case_for_ranking(campaign, "乡村振兴案例")
    assert rounds_services.add_accepted_cases(review_round=review_round, by=admin) == 1
    Assignment.objects.create(
        round=review_round, case=case, expert=make_expert(), status=AssignmentStatus.PROPOSED
    )
    assert assignment_services.confirm_assignments(review_round=review_round, by=admin) == 1

    recorded = list(
        RoundEvent.objects.filter(round=review_round).order_by("pk").values_list("kind", "note")
    )
    assert recorded == [
        (RoundEventKind.ROUND_SAVED, "新建轮次“初评”"),
        (RoundEventKind.CASES_ADDED, "加入 1 个已受理案例"),
        (RoundEventKind.ASSIGNMENTS_CONFIRMED, "确认 1 项分配,通知 1 名专家"),
    ]


def test_an_expert_profile_change_is_recorded_on_the_account(admin):
    from accounts.models import AccountEventKind

    expert = make_expert(name="周评审", max_cases=30)
    office = client_of(admin)
    profile = expert.expert_profile
    data = {
        "affiliation": profile.affiliation_id or "",
        "institution": profile.institution,
        "inside_province": "on" if profile.inside_province else "",
        "fields": [f.pk for f in profile.fields.all()],
        "max_cases_per_round": "12",
    }
    r = office.post(f"/manage/experts/{expert.pk}/", data)
    assert r.status_code == 302
    event = expert.account_events.get(kind=AccountEventKind.EXPERT_PROFILE_CHANGED)
    assert event.actor == admin
    assert event.note.endswith("30 → 12")


def test_opening_the_ranking_page_writes_no_settings(admin):
    from reviews.models import RankingConfig
    from tests.factories import make_closed_round

    campaign = ranking_campaign(year=2034)
    review_round = make_closed_round(campaign)
    html = client_of(admin).get(f"/manage/rounds/{review_round.pk}/ranking/").content.decode()
    assert "15.00" in html
    assert not RankingConfig.objects.filter(campaign=campaign).exists()
