"""Keep the public results cache honest when data behind it changes outside the services
(the Django admin, the shell): organisations, fields, campaigns, tiers and public cases."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from accounts.models import Organisation
from reform_cases.models import PUBLIC_OUTCOMES, Campaign, Case, Field, Tier
from reform_cases.publication.cache import invalidate_public_results

# Sent by submission/services.submit_case inside its transaction, with `case_id`, when a case
# is submitted or resubmitted: apps that reform_cases must not import (case_text) listen here.
# A receiver that works outside the transaction registers it with transaction.on_commit.
case_submitted = Signal()


def _invalidate(**kwargs):
    transaction.on_commit(invalidate_public_results)


def _case_changed(sender, instance, **kwargs):
    # Drafts and cases without an award are never on a public page.
    if instance.outcome in PUBLIC_OUTCOMES or instance.tier_id:
        transaction.on_commit(invalidate_public_results)


def connect():
    for model in (Organisation, Field, Campaign, Tier):
        post_save.connect(
            _invalidate, sender=model, dispatch_uid=f"public-cache-save-{model.__name__}"
        )
        post_delete.connect(
            _invalidate, sender=model, dispatch_uid=f"public-cache-delete-{model.__name__}"
        )
    post_save.connect(_case_changed, sender=Case, dispatch_uid="public-cache-save-case")
    post_delete.connect(_case_changed, sender=Case, dispatch_uid="public-cache-delete-case")
    m2m_changed.connect(
        _case_changed, sender=Case.co_organisations.through, dispatch_uid="public-cache-co-orgs"
    )
