"""The organisers of the shipped campaigns, as the sources state them (source "2019":
《今日浙江》, 2020-03-31); no source names 2020's, so it stays empty."""

import importlib

import pytest
from django.apps import apps

from reform_cases.models import Campaign
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

ORGANISER_2019 = "浙江省委党校、《今日浙江》杂志社、省改革研究和促进中心"
migration = importlib.import_module("reform_cases.migrations.0010_campaign_organiser_2019")


def test_the_shipped_2019_campaign_names_its_organisers_and_2020_names_none(published_fixtures):
    assert Campaign.objects.get(year=2019, is_demo=False).organiser_name == ORGANISER_2019
    assert published_fixtures.year == 2020
    assert published_fixtures.organiser_name == ""


def test_the_migration_fills_an_empty_2019_organiser_only():
    shipped = CampaignFactory(year=2019, organiser_name="")
    demo = CampaignFactory(year=2019, is_demo=True, organiser_name="")
    later = CampaignFactory(year=2020, organiser_name="")

    migration.set_organiser_2019(apps, None)

    assert Campaign.objects.get(pk=shipped.pk).organiser_name == ORGANISER_2019
    assert Campaign.objects.get(pk=demo.pk).organiser_name == ""
    assert Campaign.objects.get(pk=later.pk).organiser_name == ""


def test_the_migration_keeps_a_name_the_office_chose():
    CampaignFactory(year=2019, organiser_name="省委改革办")

    migration.set_organiser_2019(apps, None)

    assert Campaign.objects.get(year=2019).organiser_name == "省委改革办"
