from django.core.management.base import BaseCommand

from reform_cases.publication.cache import invalidate_public_results


class Command(BaseCommand):
    help = "Drop every cached public results page (run after deploying new templates or code)."

    def handle(self, *args, **options):
        invalidate_public_results()
        self.stdout.write("Public results cache invalidated.")
