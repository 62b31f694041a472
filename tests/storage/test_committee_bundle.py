"""The committee's bundle (reviews/documents/bundle.py) in the S3-compatible store: attachments
streamed out of it, the ZIP saved into it under bundles/<round>/, and downloaded through the
application. (The folder store: tests/reviews/documents/test_bundle.py.)"""

import io
import zipfile

import pytest
from django.urls import reverse

from reviews.models import BundleStatus, CommitteeBundle
from tests.factories import (
    PNG,
    UserFactory,
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
    stored_attachment,
)
from tests.helpers import client_of


@pytest.mark.django_db
def test_a_bundle_is_built_from_and_into_the_s3_store(s3_store, django_capture_on_commit_callbacks):
    campaign = ranking_campaign()
    case = accepted_case_for_ranking(campaign, "对象存储中的案例")
    review_round = make_closed_round(campaign, cases=[case])
    ranking_entry(review_round, case, campaign.best)
    photo = stored_attachment(case, "现场照片.png", PNG * 5000)  # larger than one chunk
    office = client_of(UserFactory(administrator=True))

    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("manage:bundle-request", kwargs={"pk": review_round.pk}))

    bundle = CommitteeBundle.objects.get(round=review_round)
    assert bundle.status == BundleStatus.READY, bundle.error
    assert f"bundles/{review_round.pk}/{bundle.file.name.rsplit('/', 1)[1]}" in s3_store.names()
    r = office.get(reverse("manage:bundle-download", kwargs={"pk": bundle.pk}))
    assert r.status_code == 200 and int(r["Content-Length"]) == bundle.size
    archive = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    assert archive.read("001-对象存储中的案例/附件01-现场照片.png") == s3_store.read(
        photo.file.name
    )
