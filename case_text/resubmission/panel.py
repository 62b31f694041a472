"""The resemblance panel of the formal-check page (registered in case_text/apps.py through
reform_cases.submission.selectors.register_formal_check_panel)."""

from case_text.resubmission import selectors
from case_text.resubmission.services import THRESHOLD


def resemblance_panel(case, user) -> dict | None:
    """The cases `case` resembles, for the office only (the locality is never told)."""
    if not getattr(user, "is_administrator", False):
        return None
    return {
        "template": "office/resubmission/_panel.html",
        "rows": selectors.resemblances_of(case),
        "detected_at": selectors.detected_at(case),
        "threshold": round(THRESHOLD * 100),
    }
