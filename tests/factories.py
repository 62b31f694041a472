"""factory_boy factories for the foundation's models.

Names carry a sequence number, so factories never collide with the shipped
fixtures (real names such as 杭州市 or 西湖区) or with each other.
"""

import factory
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from reform_cases.models import (
    Campaign,
    CampaignStatus,
    Case,
    CaseOutcome,
    CaseStatus,
    Field,
    Tier,
)

PASSWORD = "Test-pass-2020"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = OrganisationKind.OTHER
    parent = None


class CityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"测试市{n}")
    kind = OrganisationKind.CITY


class CountyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"测试县{n}")
    kind = OrganisationKind.COUNTY
    parent = factory.SubFactory(CityFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    role = ""
    organisation = None
    password = factory.django.Password(PASSWORD)

    class Params:
        locality = factory.Trait(role=Role.LOCALITY, organisation=factory.SubFactory(CountyFactory))
        expert = factory.Trait(role=Role.EXPERT)
        administrator = factory.Trait(role=Role.ADMINISTRATOR)


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field

    name = factory.Sequence(lambda n: f"测试领域{n}")
    name_en = factory.Sequence(lambda n: f"Test field {n}")
    order = factory.Sequence(lambda n: 100 + n)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    # Far from the real years (2019, 2020) and the demo years (this year and last).
    year = factory.Sequence(lambda n: 2200 + n)
    title = factory.LazyAttribute(lambda c: f"{c.year}年度测试评选")
    title_en = factory.LazyAttribute(lambda c: f"Test awards {c.year}")
    status = CampaignStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"tier{n}")
    name = factory.Sequence(lambda n: f"测试等次{n}")
    name_en = factory.Sequence(lambda n: f"Test tier {n}")
    order = factory.Sequence(lambda n: n + 1)
    quota = 10


class CaseFactory(factory.django.DjangoModelFactory):
    """An awarded case of a published campaign (public), unless told otherwise."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"测试案例{n}")
    organisation = factory.SubFactory(CountyFactory)
    region = factory.LazyAttribute(lambda c: c.organisation.parent if c.organisation else None)
    field = factory.SubFactory(FieldFactory)
    summary = "测试用案例。"
    status = CaseStatus.ACCEPTED
    outcome = CaseOutcome.AWARDED
    tier = factory.Maybe(
        factory.LazyAttribute(lambda c: c.outcome == CaseOutcome.AWARDED),
        yes_declaration=factory.SubFactory(
            TierFactory, campaign=factory.SelfAttribute("..campaign")
        ),
        no_declaration=None,
    )

    @factory.post_generation
    def co_organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.co_organisations.set(extracted)
