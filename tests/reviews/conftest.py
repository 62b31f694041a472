"""Fixtures shared by the review tests (builders are in tests/factories.py)."""

import pytest

from tests.factories import UserFactory, make_desk
from tests.helpers import client_of, score_url


@pytest.fixture
def desk(db):
    """One expert with one confirmed, pledged assignment in an open round, signed in."""
    d = make_desk()
    d.client = client_of(d.expert)
    d.url = score_url(d.assignment)
    return d


@pytest.fixture
def office_client(db):
    return client_of(UserFactory(administrator=True, display_name="组织方小王"))
