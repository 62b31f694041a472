import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from site_setup.synthetic import seed_campaign


class Command(BaseCommand):
    help = "Create a deterministic synthetic campaign (演示) with cases, experts, reviews and a ranking."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=500)
        parser.add_argument("--experts", type=int, default=60)
        parser.add_argument("--reviews-per-case", type=int, default=5)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--year",
            type=int,
            default=None,
            help="year of the demo campaign (default 2090 + seed %% 9)",
        )
        parser.add_argument(
            "--plant-resubmissions",
            type=int,
            default=0,
            metavar="N",
            help="also plant N repeated submissions (a case of year Y rewritten for Y+1) and 3N "
            "unrelated cases on the same topics in two more demo campaigns (years 2080 + seed %% 9 "
            "and the next), then compare them; --cases 0 plants only "
            "(site_setup/planted_resubmissions.py)",
        )

    def handle(self, *args, cases, experts, reviews_per_case, seed, year, **options):
        planted = options.get("plant_resubmissions") or 0
        if planted < 0:
            raise CommandError("--plant-resubmissions takes a positive number.")
        if planted and cases == 0:
            self._plant(planted, seed)
            return
        if cases < 1 or experts < reviews_per_case or reviews_per_case < 1:
            raise CommandError(
                "Need at least one case and at least as many experts as reviews per case."
            )
        if planted:
            self._plant(planted, seed)
        started = time.perf_counter()
        try:
            campaign = seed_campaign(
                cases=cases, experts=experts, reviews_per_case=reviews_per_case, seed=seed, year=year,
                log=lambda line: self.stdout.write(line),
            )  # fmt: skip
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{campaign.title}: done in {time.perf_counter() - started:.1f}s (campaign id {campaign.pk})"
            )
        )

    def _plant(self, n, seed):
        from site_setup.planted_resubmissions import plant_resubmissions

        try:
            planted = plant_resubmissions(n=n, seed=seed, log=lambda line: self.stdout.write(line))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{planted.later.title}: {len(planted.truth)} planted repeated submissions "
                f"(campaign ids {planted.earlier.pk} and {planted.later.pk})"
            )
        )
