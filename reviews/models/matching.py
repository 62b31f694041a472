"""An expert's profile vector: what the assignment compares with each case's text vector.

Computed by reviews/assignment/matching.py (a Celery task, never a page) under the current text
model (case_text); a vector of another version than the cases' is never compared with them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from case_text.models import TextModel
from case_text.models.vectors import StoredVector


class ExpertVector(StoredVector):
    """The L2-normalised TF-IDF vector of an expert's declared expertise and reviewed cases.

    `indices` (int32) and `weights` (float32) are stored as case_text's `StoredVector` says.
    `content_hash` is the SHA-256 of what the vector was computed from (model version, keywords,
    fields, the reviewed cases' vector hashes), so an unchanged expert is not recomputed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_vector"
    )
    # The version number is the key (to_field), as for CaseVector: `model_id` is the version.
    model = models.ForeignKey(
        TextModel,
        to_field="version",
        db_column="model_version",
        on_delete=models.CASCADE,
        related_name="expert_vectors",
    )
    n_reviewed = models.PositiveIntegerField(_("已评案例数"), default=0)

    class Meta:
        verbose_name = _("专家向量")
        verbose_name_plural = _("专家向量")

    def __str__(self):
        return f"{self.user_id}@v{self.model_id}"
