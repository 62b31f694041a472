"""The committee's ranking table as rows: the XLSX export and the bundle's PDF read the same rows.

Rows come from the database in chunks (`iterator`), so a 5,000-case round never sits in memory
as model instances; the XLSX is written by openpyxl's write-only workbook, row by row.
"""

from collections.abc import Iterator

from django.db.models import F
from django.utils.translation import gettext as _

from common.spreadsheets import safe_row, sheet_title
from reviews.models import RankingEntry, RankingFlag, ReviewRound
from reviews.ranking import services as ranking_services

FLAG_LABELS = dict(RankingFlag.choices)


def ranked_entries(review_round: ReviewRound, *, top: int | None = None):
    """The round's ranking entries in ranking order (unranked last); the first `top` if given."""
    entries = (
        RankingEntry.objects.filter(round=review_round)
        .select_related("case__organisation", "proposed_tier", "final_tier")
        .order_by(F("rank").asc(nulls_last=True), "pk")
    )
    return entries[:top] if top else entries


def two_places(value):
    """A float at two places, as the ranking compares it; None stays empty."""
    return None if value is None else float(ranking_services.two_place_decimal(value))


def header(tiers, *, with_unit: bool = True) -> list[str]:
    unit = [_("申报单位")] if with_unit else []
    return (
        [_("名次"), _("案例名称"), *unit, _("评审份数"), _("平均分"), _("中位数"), _("去极值平均分"),
         _("标准差"), _("标准化平均分"), _("排名依据值"), _("建议等次"), _("最终等次"), _("人工调整"), _("标记")]
        + [_("稳定性:%(tier)s") % {"tier": t.name} for t in tiers]
    )  # fmt: skip


def rows(review_round: ReviewRound, tiers, *, top=None, with_unit: bool = True) -> Iterator[list]:
    for e in ranked_entries(review_round, top=top).iterator(chunk_size=1000):
        organisation = e.case.organisation
        unit = [organisation.name if organisation else ""] if with_unit else []
        yield (
            [e.rank, e.case.title, *unit, e.n_reviews,
             two_places(e.mean), two_places(e.median), two_places(e.trimmed_mean), two_places(e.std),
             two_places(e.normalised_mean), two_places(e.basis_value),
             e.proposed_tier.name if e.proposed_tier else "", e.final_tier.name if e.final_tier else "",
             _("是") if e.overridden else "", "、".join(str(FLAG_LABELS.get(f, f)) for f in e.flags)]
            + [e.stability.get(t.code, 0) for t in tiers]
        )  # fmt: skip


def write_xlsx(review_round: ReviewRound, handle, *, top=None, with_unit: bool = True) -> None:
    """Write the round's ranking table as an XLSX workbook into the binary file `handle`."""
    import openpyxl  # ≈ 27 MB with PIL: loaded by the processes that write a workbook

    tiers = list(review_round.campaign.tiers.order_by("order"))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(review_round.name, "ranking"))
    sheet.append(safe_row(header(tiers, with_unit=with_unit)))
    for row in rows(review_round, tiers, top=top, with_unit=with_unit):
        sheet.append(safe_row(row))
    workbook.save(handle)
