"""The published results shipped with the product, in loading order."""

from django.conf import settings

FIXTURE_FILES = tuple(
    str(settings.BASE_DIR / "fixtures" / name)
    for name in ("01_organisations.json", "02_fields.json", "03_campaigns.json", "04_cases.json")
)
