"""Repeated-submission detection (重复申报): each case's MinHash signature and LSH band keys,
and the pairs of cases found to resemble each other (case_text/resubmission/)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from reform_cases.models import Case


class CaseSignature(models.Model):
    """A case's MinHash signature (resubmission/signatures.py), recomputed only when its text or
    the method changes (`content_hash` covers both)."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="resemblance_signature"
    )
    content_hash = models.CharField(max_length=64)
    # NUM_PERM little-endian uint32 minima.
    signature = models.BinaryField()
    computed_at = models.DateTimeField()
    # When this text was last compared with the others; None: indexed but never compared.
    detected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("案例文本签名")
        verbose_name_plural = _("案例文本签名")

    def __str__(self):
        return str(self.case_id)


class SignatureBand(models.Model):
    """One LSH band of a signature: a 64-bit hash of the band's number and values. Two cases
    sharing a key are candidates; the index on `key` makes finding them one query."""

    signature = models.ForeignKey(CaseSignature, on_delete=models.CASCADE, related_name="bands")
    key = models.BigIntegerField()

    class Meta:
        verbose_name = _("签名分段")
        verbose_name_plural = _("签名分段")
        indexes = [models.Index(fields=["key"], name="signature_band_key")]

    def __str__(self):
        return f"{self.signature_id}:{self.key}"


class ResemblanceVerdict(models.TextChoices):
    PENDING = "pending", _("待核实")
    REPEAT = "repeat", _("确属重复申报")
    NOT_REPEAT = "not_repeat", _("不是重复申报")


class ResemblancePair(models.Model):
    """Two cases whose texts resemble each other above the threshold.

    `case` is the later of the two (by year, then submission), `earlier_case` the other.
    `passages` holds the shared sentences as spans of both texts (resubmission/passages.py),
    valid while the texts' hashes equal `case_hash` and `earlier_hash`.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resemblances")
    earlier_case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="later_resemblances"
    )
    similarity = models.FloatField(_("相似度"))
    passages = models.JSONField(_("相同段落"), default=list)
    case_hash = models.CharField(max_length=64)
    earlier_hash = models.CharField(max_length=64)
    detected_at = models.DateTimeField(_("发现时间"))
    verdict = models.CharField(
        _("核实结果"),
        max_length=20,
        choices=ResemblanceVerdict.choices,
        default=ResemblanceVerdict.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("相似案例")
        verbose_name_plural = _("相似案例")
        ordering = ["-similarity", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "earlier_case"], name="resemblance_pair_unique"
            ),
            models.CheckConstraint(
                condition=~Q(case=F("earlier_case")), name="resemblance_pair_two_cases"
            ),
        ]

    def __str__(self):
        return f"{self.case_id} ~ {self.earlier_case_id} ({self.similarity:.2f})"
