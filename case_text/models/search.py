"""The full-text search index: each case's words, segmented by jieba, in three parts.

The words are written by `case_text/search/services.py` (Python segments; SQL cannot), and
the database indexes them by vendor, both made by migration 0003_search:

* PostgreSQL: a generated `tsvector` column `document` (the 'simple' configuration over the
  space-joined words; title weighted A, public sections B, background D) with a GIN index.
  Django does not know the column: the database fills it on every insert and update.
* SQLite: an FTS5 table `case_text_search_fts` whose content is this table (external
  content, rowid = case id), kept in step by three triggers on this table. The triggers copy
  words already segmented here; they never see the case's raw text.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reform_cases.models import Case


class SearchEntry(models.Model):
    """One case's words for full-text search; absent for drafts (never searched)."""

    case = models.OneToOneField(
        Case,
        verbose_name=_("案例"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_entry",
    )
    title_terms = models.TextField(_("标题词语"), blank=True)
    # The sections the public case page shows; the background (背景) is not public.
    public_terms = models.TextField(_("公开正文词语"), blank=True)
    private_terms = models.TextField(_("非公开正文词语"), blank=True)
    # SHA-256 of the text and of the dictionaries it was segmented with: an entry whose hash
    # is unchanged is not segmented again.
    source_hash = models.CharField(max_length=64)
    indexed_at = models.DateTimeField(_("索引时间"), auto_now=True)

    class Meta:
        verbose_name = _("全文检索条目")
        verbose_name_plural = _("全文检索条目")

    def __str__(self):
        return str(self.case_id)
