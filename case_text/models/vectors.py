"""The fitted TF-IDF model and each case's vector under it.

Only one `TextModel` is current at a time (a partial unique constraint). Vectors of different
versions are never compared: the selectors read the current version's vectors only, and a refit
writes the next version's vectors before it becomes current (case_text/services.refit_model).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reform_cases.models import Case


class TextModel(models.Model):
    """One fit of the TF-IDF model: its vocabulary and inverse document frequencies.

    The terms are stored as zlib-compressed UTF-8, one per line, in column order; the idf as
    zlib-compressed little-endian float32, one per term (core/vectors.py packs and reads them).
    No pickled scikit-learn object is stored: a row stays readable across library versions.
    """

    version = models.PositiveIntegerField(_("版本"), unique=True)
    fitted_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    fitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    n_documents = models.PositiveIntegerField(_("文档数"))
    n_terms = models.PositiveIntegerField(_("词数"))
    min_df = models.PositiveIntegerField(_("最小文档频率"))
    terms = models.BinaryField(_("词表"))
    idf = models.BinaryField(_("逆文档频率"))
    is_current = models.BooleanField(_("当前版本"), default=False)

    class Meta:
        verbose_name = _("文本模型")
        verbose_name_plural = _("文本模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="text_model_one_current",
            ),
        ]

    def __str__(self):
        return f"v{self.version}"


class StoredVector(models.Model):
    """A sparse vector as stored: the non-zero entries and what it was computed from.

    Subclasses add their owner and `model`, a key to `TextModel.version` (`to_field`), so that
    `model_id` is the version number itself.
    """

    indices = models.BinaryField()
    weights = models.BinaryField()
    content_hash = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def version(self) -> int:
        return self.model_id

    def as_vector(self):
        from case_text.core.vectors import SparseVector

        return SparseVector.from_bytes(bytes(self.indices), bytes(self.weights))


class CaseVector(StoredVector):
    """A case's L2-normalised TF-IDF vector under one model version.

    `indices` (int32) and `weights` (float32) are little-endian arrays of the non-zero entries,
    sorted by index. `content_hash` is the SHA-256 of the text the vector was computed from, so
    recomputing an unchanged case under the same version is skipped.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="text_vectors")
    # The model's version number is the key (to_field), so `model_id` is the version itself and
    # the selectors filter on it without a join.
    model = models.ForeignKey(
        TextModel,
        to_field="version",
        db_column="model_version",
        on_delete=models.CASCADE,
        related_name="case_vectors",
    )

    class Meta:
        verbose_name = _("案例向量")
        verbose_name_plural = _("案例向量")
        constraints = [
            # One vector per case and version: a refit writes version N+1's beside version N's.
            models.UniqueConstraint(fields=["case", "model"], name="case_vector_one_per_version"),
        ]

    def __str__(self):
        return f"{self.case_id}@v{self.model_id}"
