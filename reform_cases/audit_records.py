"""What of reform_cases the audit chain covers (audit/chain.py), registered at start-up.

Objections: who wrote them is personal data kept outside the chain (name, contact, address,
file), so that it can be erased after its retention period; the text and the case are in.
The answer is a state of its own, chained each time it is given.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import chain
from reform_cases.models import (
    CampaignEvent,
    CampaignStatusChange,
    CaseEvent,
    Correction,
    Objection,
    ObjectionStatus,
)

OBJECTION_ANSWERED = "reform_cases.objection.answered"
OBJECTOR_DATA_ERASED = "reform_cases.objection.objector_data_erased"
OBJECTION_PERSONAL_DATA = ("name", "contact", "ip_address", "file", "file_name")
OBJECTION_ANSWER = ("status", "answer", "answered_by", "answered_at")


class FieldRecord(models.TextChoices):
    """A field of reform created, changed or deleted on the office's pages (fields/services.py),
    chained with `chain.append`: a table referring to the field would keep it from being deleted."""

    CREATED = "reform_cases.reform_field.created", _("新建领域")
    CHANGED = "reform_cases.reform_field.changed", _("修改领域")
    DELETED = "reform_cases.reform_field.deleted", _("删除领域")


def objection_answer(objection: Objection) -> dict:
    return {
        "status": objection.status,
        "answer": objection.answer,
        "answered_by_id": objection.answered_by_id,
        "answered_at": objection.answered_at,
    }


def register() -> None:
    chain.track_rows(CaseEvent)
    chain.track_rows(Correction)
    chain.track_rows(CampaignStatusChange)
    chain.track_rows(CampaignEvent)
    chain.track_rows(Objection, exclude=OBJECTION_PERSONAL_DATA + OBJECTION_ANSWER)
    chain.track_state(
        Objection,
        OBJECTION_ANSWERED,
        content=objection_answer,
        applies=lambda objection: objection.status != ObjectionStatus.OPEN,
    )
