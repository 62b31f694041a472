from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import Organisation
from reform_cases.models import Campaign
from reform_cases.publication.manifest import HISTORICAL_REASON, freeze_manifest
from site_setup.fixtures_list import FIXTURE_FILES


class Command(BaseCommand):
    help = (
        "Load the published results into an empty database; add demo data on the embedded default."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not create demo data.")

    def handle(self, *args, **options):
        # Fixtures go into an empty database only: never overwrite what administrators changed.
        if Campaign.objects.exists() or Organisation.objects.exists():
            self.stdout.write("Database already has data: fixtures not loaded.")
        else:
            call_command("loaddata", *FIXTURE_FILES, verbosity=0)
            self.stdout.write(
                f"Loaded {Campaign.objects.count()} campaigns and {Organisation.objects.count()} organisations."
            )
            # The historical results get their manifest too: the published list only, since
            # no raw scores of those rounds are stored.
            for campaign in Campaign.objects.public().filter(manifests__isnull=True):
                freeze_manifest(campaign=campaign, by=None, reason=HISTORICAL_REASON)
            # Fixtures load without signals: their cases are indexed for search here.
            call_command("rebuild_search_index", verbosity=0)
        if options["no_demo"] or not settings.DEMO_DATA_ALLOWED:
            return
        from site_setup.demo import DEMO_PASSWORD, create_demo_data, create_demo_review

        created = create_demo_data() + create_demo_review()
        if created:
            self.stdout.write("Demo data created: " + ", ".join(created))
        self.stdout.write(
            f"Demo accounts: demo-locality, demo-expert, demo-admin (password {DEMO_PASSWORD})"
        )
