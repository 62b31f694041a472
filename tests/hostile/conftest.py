"""The scene the hostile-input crawler walks through: one of everything a form can act on.

Built from the builders of tests/factories.py around the users of `make_user` (the locality
user belongs to `owning_organisation`), on top of the shipped 2019 and 2020 results.
"""

from binascii import unhexlify
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.services import invitation_link, password_reset_link
from accounts.two_factor import services as two_factor
from case_text.resubmission.services import detect_resubmission
from notifications.models import DeliveryStatus, Notification, NotificationKind
from reform_cases.models import AttachmentKind, CaseStatus
from reform_cases.publication import services as publication_services
from reform_cases.submission import services as submission_services
from reviews.models import Assignment, AssignmentStatus, ExpertProfile, Panel
from reviews.ranking import services as ranking
from tests.factories import (
    CountyFactory,
    FieldFactory,
    OrganisationFactory,
    TierFactory,
    UserFactory,
    accepted_case_for_ranking,
    accepted_case_for_review,
    add_reviews,
    attach,
    complete_case,
    confirmed,
    draft_case,
    make_closed_round,
    make_expert,
    make_open_round,
    make_rubric,
    open_campaign,
    ranking_campaign,
    review_of,
    reviewing_campaign,
    submitted_case,
)


def totp_code(key: str) -> str:
    """The code an authenticator app shows now for `key`."""
    totp = TOTP(unhexlify(key), step=two_factor.TOTP_STEP, digits=two_factor.TOTP_DIGITS)
    return f"{totp.token():0{two_factor.TOTP_DIGITS}d}"


class Scene:
    """The objects the crawl acts on, as attributes; `users[role]` signs each role in."""


def _ranked_campaign(admin, title, *, lock=False):
    """A campaign being ranked from a closed round of four reviewed cases."""
    campaign = ranking_campaign(best=1, excellent=2, title=title)
    unit = CountyFactory()
    cases = [
        accepted_case_for_ranking(
            campaign, f"{title}案例{i}", organisation=unit, region=unit.parent
        )
        for i in range(4)
    ]
    round = make_closed_round(campaign)
    add_reviews(
        round,
        dict(zip(cases, ([90, 91, 93], [80, 82, 85], [70, 75, 78], [60, 61, 63]), strict=True)),
    )
    ranking.compute_ranking(review_round=round, by=admin)
    if lock:
        ranking.lock_ranking(review_round=round, by=admin)
    campaign.refresh_from_db()
    return campaign, round, cases


@pytest.fixture
def scene(published_fixtures, make_user, owning_organisation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    s = Scene()
    s.users = {role: make_user(role) for role in ("locality", "expert", "administrator")}
    admin, locality, expert = (s.users[r] for r in ("administrator", "locality", "expert"))
    unit = owning_organisation

    # A campaign open for submission: the locality's drafts, a submitted and a returned case;
    # another unit's submitted case waits for the formal check.
    s.open = open_campaign(title="征集中的测试评选", call_for_entries="请各地申报。")
    s.draft = draft_case(s.open, unit, title="只写了标题的草稿")
    s.complete = complete_case(s.open, unit, locality)
    attach(s.complete, locality, kind=AttachmentKind.SUPPORTING, name="佐证材料.pdf")
    s.submitted = submitted_case(s.open, unit, locality)
    s.returned = submitted_case(s.open, unit, locality)
    submission_services.return_case(case=s.returned, by=admin, reason="请补充成效数据。")
    other_unit = CountyFactory()
    other_user = UserFactory(locality=True, organisation=other_unit)
    s.to_check = submitted_case(s.open, other_unit, other_user)
    # The same text submitted twice: the formal check shows them as resembling (重复申报), with
    # a page where the office records its verdict.
    for case in (s.submitted, s.to_check):
        detect_resubmission(case_id=case.pk)

    # A campaign in review: a panel, an open round, the expert with a review in progress, one
    # not started, a colleague's submitted review and a proposed assignment.
    s.reviewing = reviewing_campaign(title="评审中的测试评选")
    criteria = make_rubric(s.reviewing)
    TierFactory(campaign=s.reviewing, code="best", name="最佳实践案例", order=1)
    ExpertProfile.objects.create(user=expert, institution="省外某大学", max_cases_per_round=10)
    colleague = make_expert(name="李评审")
    spare = make_expert(name="赵评审")
    field = FieldFactory()
    cases = [accepted_case_for_review(s.reviewing, field=field) for _ in range(4)]
    panel = Panel.objects.create(campaign=s.reviewing, name="数字化改革组", chair=colleague)
    panel.members.add(expert, colleague, spare)
    panel.fields.add(field)
    s.round = make_open_round(s.reviewing, cases=cases, k=2, panels=[panel])
    in_progress = confirmed(s.round, cases[0], expert)
    review_of(in_progress, criteria, ["20", "", ""], submit=False)
    confirmed(s.round, cases[1], expert)
    review_of(confirmed(s.round, cases[0], colleague), criteria, ["21", "15", "12"])
    Assignment.objects.create(
        round=s.round, case=cases[2], expert=spare, status=AssignmentStatus.PROPOSED
    )
    # A colleague who declared a conflict: the case waits for someone in their place.
    Assignment.objects.create(
        round=s.round, case=cases[3], expert=colleague, status=AssignmentStatus.RELEASED
    )
    # A second campaign in review whose round the expert has not pledged for yet.
    s.unpledged = reviewing_campaign(title="尚未承诺的测试评选")
    make_rubric(s.unpledged)
    other_case = accepted_case_for_review(s.unpledged)
    s.unpledged_round = make_open_round(s.unpledged, cases=[other_case])
    confirmed(s.unpledged_round, other_case, expert)

    # Ranking: one campaign being ranked, one locked, one on public notice with an objection.
    s.ranking, s.ranking_round, _ = _ranked_campaign(admin, "排名中的测试评选")
    make_open_round(s.ranking, name="复评", order=2)  # a later round to shortlist into
    s.locked, s.locked_round, _ = _ranked_campaign(admin, "已锁定的测试评选", lock=True)
    s.notice, notice_round, notice_cases = _ranked_campaign(admin, "公示中的测试评选", lock=True)
    ranking.publish_notice_from_ranking(
        review_round=notice_round, by=admin, ends_at=timezone.now() + timedelta(days=7)
    )
    s.notice.refresh_from_db()
    notice_cases[0].refresh_from_db()
    publication_services.submit_objection(
        campaign=s.notice,
        case=notice_cases[0],
        name="王先生",
        contact="13800000000",
        text="成效数据与统计公报不一致,请核实。",
        ip="203.0.113.9",
    )

    # A unit and a field nothing refers to: their office pages offer to delete them. The
    # unit's name sorts first among top-level units (the list shows those first), so the crawl
    # opens its page.
    OrganisationFactory(name="A 未使用的测试单位")
    FieldFactory(name="未使用的测试领域")

    # A notification that could not be sent (the outbox offers to send it again).
    Notification.objects.create(
        recipient=locality,
        kind=NotificationKind.CASE_RETURNED,
        subject="案例被退回",
        body="请补充成效数据。",
        status=DeliveryStatus.FAILED,
        attempts=3,
        last_error="SMTP 连接超时",
    )

    # The expert logs in with an authenticator app as well.
    s.totp_key = two_factor.new_secret()
    two_factor.confirm_enrolment(user=expert, key=s.totp_key, code=totp_code(s.totp_key), by=expert)

    # The links an e-mail carries: an invitation to a new account and a password reset.
    invited = UserFactory(locality=True, organisation=unit, password=None)
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    s.invitation_path = urlsplit(invitation_link(invited)).path
    s.reset_path = urlsplit(password_reset_link(s.users["locality"])).path
    assert s.submitted.status == CaseStatus.SUBMITTED
    return s
