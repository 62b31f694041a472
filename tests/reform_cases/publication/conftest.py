"""The notice scene of test_publication.py (a locked ranking, then its notice) for the other
tests of publication."""

from tests.reform_cases.publication.test_publication import (  # noqa: F401
    admin,
    admin_client,
    commit,
    noticed,
    scene,
)
