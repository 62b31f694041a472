"""Notifications (issue 9), with eager tasks: who gets what, in which language, exactly once.

Every test runs in a transaction that is rolled back, so nothing is delivered unless the
block that causes it runs under `commit()` (django_capture_on_commit_callbacks with
execute=True): that is where `notify()` hands its rows to the (eager) delivery task and the
locmem backend collects the emails in `mail.outbox`. The real worker and Redis are in
tests/notifications/test_worker.py.
"""

import re
import smtplib
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Role
from accounts.services import create_account, move_to_organisation, send_invitation
from notifications import delivery, services
from notifications.delivery import backoff, deliver
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.tasks import deliver_notification, resend_pending
from reform_cases.models import CampaignStatus, CaseOutcome, CaseStatus
from reform_cases.publication import services as publication_services
from reform_cases.submission import services as submission_services
from reviews.assignment.services import confirm_assignments
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Review,
    ReviewRound,
    ReviewStatus,
)
from reviews.scoring.reminders import send_review_reminders
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    CountyFactory,
    TierFactory,
    UserFactory,
    complete_fields,
    draft_case,
    open_campaign,
)

OUTBOX_URL = "/notifications/outbox/"
RESEND_URL = "/notifications/outbox/resend/"
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the scene -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block registered for after commit (the delivery)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方")


@pytest.fixture
def unit(db):
    return CountyFactory(name="通知测试县")


@pytest.fixture
def members(unit):
    """Two active locality users of `unit` (one reads English) and one deactivated."""
    return {
        "zh": UserFactory(locality=True, organisation=unit, display_name="申报员甲"),
        "en": UserFactory(locality=True, organisation=unit, display_name="Ann", language="en"),
        "off": UserFactory(locality=True, organisation=unit, is_active=False),
    }


@pytest.fixture
def bystanders(db):
    """People who must never receive another unit's or another expert's messages."""
    return [
        UserFactory(locality=True),
        UserFactory(expert=True),
    ]


def rows(kind=None):
    qs = Notification.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def recipients(kind):
    return sorted(rows(kind).values_list("recipient_id", flat=True))


def mailed_to():
    return sorted(address for m in mail.outbox for address in m.to)


def submitted(campaign, unit, by, **fields):
    """A draft with every required field (the campaign requires no attachment), submitted."""
    case = draft_case(campaign, unit, **complete_fields(**fields))
    return submission_services.submit_case(case=case, by=by)


@pytest.fixture
def campaign(db):
    return open_campaign(required_attachment_kinds=[])


@pytest.fixture
def case(campaign, unit, members):
    """A submitted case of `unit`; its receipt is not delivered (no commit())."""
    return submitted(campaign, unit, members["zh"], title="最多跑一次“通知”测试")


def review_round(campaign=None, *, opens=None, closes=None, reminder_days=3):
    now = timezone.now()
    campaign = campaign or CampaignFactory(status=CampaignStatus.REVIEWING, published_at=None)
    return ReviewRound.objects.create(
        campaign=campaign,
        name="初评",
        order=campaign.rounds.count() + 1,
        opens_at=opens or now - timedelta(days=1),
        closes_at=closes or now + timedelta(days=14),
        reminder_days=reminder_days,
    )


def assignment(round, expert, *, status=AssignmentStatus.CONFIRMED, title=None):
    case = CaseFactory(
        campaign=round.campaign,
        status=CaseStatus.ACCEPTED,
        outcome=CaseOutcome.PENDING,
        **({"title": title} if title else {}),
    )
    round.cases.add(case)
    return Assignment.objects.create(
        round=round,
        case=case,
        expert=expert,
        status=status,
        confirmed_at=timezone.now() if status == AssignmentStatus.CONFIRMED else None,
    )


# --- each event: the right messages to the right people ---------------------------------


def test_invitation_goes_to_the_new_account_only(admin, bystanders, commit):
    with commit():
        user = create_account(
            by=admin,
            username="new.expert",
            display_name="新专家",
            email="New.Expert@example.org",
            role=Role.EXPERT,
        )
    assert recipients(NotificationKind.ACCOUNT_INVITATION) == [user.pk]
    assert rows().count() == 1
    [message] = mail.outbox
    assert message.to == ["new.expert@example.org"]
    assert "/accounts/invitation/" in message.body
    assert "新专家" in message.body and "new.expert" in message.body


def test_password_reset_goes_to_the_owner_of_the_address_only(client, bystanders, commit):
    user = UserFactory(expert=True, email="reset.me@example.org")
    with commit():
        r = client.post("/accounts/password/reset/", {"email": "reset.me@example.org"})
        client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert r.status_code == 302
    assert recipients(NotificationKind.PASSWORD_RESET) == [user.pk]
    assert rows().count() == 1
    [message] = mail.outbox
    assert message.to == ["reset.me@example.org"]
    assert "/accounts/password/reset/" in message.body


def test_confirming_tells_each_expert_once_with_all_their_cases(admin, bystanders, commit):
    a, b, c, d = (UserFactory(expert=True, display_name=f"专家{x}") for x in "甲乙丙丁")
    round = review_round()
    for i in range(3):
        assignment(round, a, status=AssignmentStatus.PROPOSED, title=f"甲的案例{i}")
    assignment(round, b, status=AssignmentStatus.PROPOSED, title="乙的案例")
    assignment(round, d)  # confirmed (and told) earlier: nothing new for d
    other = review_round()
    assignment(other, c, status=AssignmentStatus.PROPOSED)  # another round: not confirmed now

    with commit():
        assert confirm_assignments(review_round=round, by=admin) == 4

    assert recipients(NotificationKind.EXPERT_ASSIGNED) == sorted([a.pk, b.pk])
    to_a = rows(NotificationKind.EXPERT_ASSIGNED).get(recipient=a)
    assert all(f"甲的案例{i}" in to_a.body for i in range(3)) and "乙的案例" not in to_a.body
    assert "3 个案例" in to_a.subject
    assert timezone.localtime(round.closes_at).strftime("%Y-%m-%d %H:%M") in to_a.body
    assert mailed_to() == sorted([a.email, b.email])

    # Confirming again (nothing proposed any more) tells nobody anything.
    with commit():
        assert confirm_assignments(review_round=round, by=admin) == 0
    assert rows(NotificationKind.EXPERT_ASSIGNED).count() == 2
    assert len(mail.outbox) == 2


def test_submission_receipt_goes_to_every_active_member_of_the_unit(
    campaign, unit, members, bystanders, commit
):
    draft = draft_case(campaign, unit, **complete_fields(title="回执测试案例"))
    with commit():
        submission_services.submit_case(case=draft, by=members["zh"])
    assert recipients(NotificationKind.CASE_SUBMITTED) == sorted(
        [members["zh"].pk, members["en"].pk]
    )
    assert rows().count() == 2
    assert mailed_to() == sorted([members["zh"].email, members["en"].email])
    zh = rows().get(recipient=members["zh"])
    assert "回执测试案例" in zh.subject and "回执测试案例" in zh.body
    assert zh.link.endswith(f"/cases/mine/{draft.pk}/")


def test_returned_case_tells_the_unit_the_reason_and_the_deadline(
    case, admin, members, bystanders, commit
):
    revise_by = timezone.now() + timedelta(days=5)
    with commit():
        submission_services.return_case(
            case=case, by=admin, reason="缺少2020年度统计数据。", revise_by=revise_by
        )
    assert recipients(NotificationKind.CASE_RETURNED) == sorted(
        [members["zh"].pk, members["en"].pk]
    )
    zh = rows(NotificationKind.CASE_RETURNED).get(recipient=members["zh"])
    assert "缺少2020年度统计数据。" in zh.body
    assert timezone.localtime(revise_by).strftime("%Y-%m-%d %H:%M") in zh.body
    assert case.title in zh.subject
    assert len(mail.outbox) == 2
    assert all("缺少2020年度统计数据。" in m.body for m in mail.outbox)


def test_accepted_case_tells_the_unit(case, admin, members, bystanders, commit):
    with commit():
        submission_services.accept_case(case=case, by=admin)
    assert recipients(NotificationKind.CASE_ACCEPTED) == sorted(
        [members["zh"].pk, members["en"].pk]
    )
    assert rows().exclude(kind=NotificationKind.CASE_SUBMITTED).count() == 2
    assert mailed_to() == sorted([members["zh"].email, members["en"].email])


def test_ineligible_case_tells_the_unit_the_reason(case, admin, members, bystanders, commit):
    with commit():
        submission_services.mark_ineligible(case=case, by=admin, reason="不属于本次评选范围。")
    assert recipients(NotificationKind.CASE_INELIGIBLE) == sorted(
        [members["zh"].pk, members["en"].pk]
    )
    zh = rows(NotificationKind.CASE_INELIGIBLE).get(recipient=members["zh"])
    assert "不属于本次评选范围。" in zh.body
    assert len(mail.outbox) == 2


def test_publication_tells_each_unit_the_outcome_of_each_of_its_cases(admin, bystanders, commit):
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() - timedelta(minutes=1),
    )
    best = TierFactory(campaign=campaign, name="最佳实践案例")
    unit_a, unit_b = CountyFactory(), CountyFactory()
    a1, a2 = (UserFactory(locality=True, organisation=unit_a) for _ in range(2))
    UserFactory(locality=True, organisation=unit_a, is_active=False)
    b1 = UserFactory(locality=True, organisation=unit_b)
    won = CaseFactory(campaign=campaign, organisation=unit_a, tier=best, title="获奖案例")
    lost = CaseFactory(
        campaign=campaign,
        organisation=unit_b,
        outcome=CaseOutcome.NOT_AWARDED,
        tier=None,
        title="未获奖案例",
    )
    CaseFactory(
        campaign=campaign,
        organisation=unit_a,
        status=CaseStatus.WITHDRAWN,
        outcome=CaseOutcome.PENDING,
        tier=None,
    )

    with commit():
        publication_services.publish_results(campaign=campaign, by=admin)

    sent = {(n.recipient_id, n.target) for n in rows(NotificationKind.CASE_OUTCOME)}
    assert sent == {
        (a1.pk, f"reform_cases.case:{won.pk}"),
        (a2.pk, f"reform_cases.case:{won.pk}"),
        (b1.pk, f"reform_cases.case:{lost.pk}"),
    }
    assert rows().count() == 3
    assert "获评“最佳实践案例”" in rows().get(recipient=a1).body
    assert "本次未获奖" in rows().get(recipient=b1).body
    assert mailed_to() == sorted([a1.email, a2.email, b1.email])


def test_objection_is_announced_to_the_active_administrators_only(
    admin, members, bystanders, commit
):
    second = UserFactory(administrator=True)
    UserFactory(administrator=True, is_active=False)
    campaign = CampaignFactory(
        status=CampaignStatus.NOTICE, notice_ends_at=timezone.now() + timedelta(days=5)
    )
    with commit():
        publication_services.submit_objection(
            campaign=campaign,
            name="王某",
            contact="13800000000",
            text="该案例成效数据与统计公报不一致,请核实。",
            ip="192.0.2.7",
        )
    assert recipients(NotificationKind.OBJECTION_RECEIVED) == sorted([admin.pk, second.pk])
    assert rows().count() == 2
    note = rows().get(recipient=admin)
    assert "王某" in note.body and str(campaign.year) in note.subject
    assert note.link.endswith(f"/manage/campaigns/{campaign.pk}/objections/")
    assert mailed_to() == sorted([admin.email, second.email])


def test_moving_a_user_to_another_unit_tells_that_user(admin, members, unit, bystanders, commit):
    new = CountyFactory(name="新单位县")
    with commit():
        move_to_organisation(user=members["zh"], by=admin, organisation=new, reason="机构调整")
    assert recipients(NotificationKind.ORGANISATION_CHANGED) == [members["zh"].pk]
    assert rows().count() == 1
    body = rows().get().body
    assert "通知测试县" in body and "新单位县" in body
    assert mailed_to() == [members["zh"].email]


def test_an_event_whose_transaction_rolls_back_writes_and_sends_nothing(
    admin, campaign, unit, members, commit
):
    draft = draft_case(campaign, unit, **complete_fields())
    with commit() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        submission_services.submit_case(case=draft, by=members["zh"])
        move_to_organisation(user=members["en"], by=admin, organisation=CountyFactory())
        assert rows().count() == 3  # written inside the transaction...
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []  # ...and nothing was left to run after commit
    assert not rows().exists()
    assert mail.outbox == []
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT


# --- the recipient's language ----------------------------------------------------------------


def test_each_member_reads_the_same_event_in_their_own_language(case, admin, members, commit):
    with commit():
        submission_services.return_case(case=case, by=admin, reason="请补充数据。")
    zh = rows(NotificationKind.CASE_RETURNED).get(recipient=members["zh"])
    en = rows(NotificationKind.CASE_RETURNED).get(recipient=members["en"])
    assert (zh.language, en.language) == ("zh-hans", "en")
    assert zh.subject.startswith("案例被退回修改")
    assert "在形式审查中被退回" in zh.body
    assert en.subject == f"Case returned for revision: {case.title}"
    assert "has been returned at the formal check" in en.body
    assert "被退回" not in en.body and "退回理由" not in en.body
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[members["en"].email].subject == en.subject
    assert '<html lang="en">' in by_address[members["en"].email].alternatives[0][0]
    assert '<html lang="zh-hans">' in by_address[members["zh"].email].alternatives[0][0]


def _english_user(**kwargs):
    return UserFactory(language="en", display_name="Ann", **kwargs)


def test_an_english_speaking_user_gets_english_invitation_and_reset(admin, client, commit):
    invited = _english_user(expert=True, email="ann@example.org")
    with commit():
        send_invitation(user=invited, by=admin)
        client.post("/accounts/password/reset/", {"email": "ann@example.org"})
    invitation = rows(NotificationKind.ACCOUNT_INVITATION).get()
    reset = rows(NotificationKind.PASSWORD_RESET).get()
    assert "please set your password" in invitation.subject
    assert invitation.body.startswith("Dear Ann,")
    assert "Please open the link below within 7 days" in invitation.body
    assert "reset your password" in reset.subject
    assert "We received a request to reset the password" in reset.body
    for note in (invitation, reset):
        assert not CJK.search(note.subject), note.subject
        assert not CJK.search(note.body), note.body
    assert len(mail.outbox) == 2


def test_an_english_speaking_user_gets_english_unit_and_assignment_messages(admin, commit):
    user = _english_user(locality=True, organisation=CountyFactory(name="Old county"))
    expert = _english_user(expert=True)
    round = review_round()
    assignment(round, expert, status=AssignmentStatus.PROPOSED, title="Case one")
    with commit():
        move_to_organisation(user=user, by=admin, organisation=CountyFactory(name="New county"))
        confirm_assignments(review_round=round, by=admin)
    moved = rows(NotificationKind.ORGANISATION_CHANGED).get()
    assert moved.subject == "Your unit has changed"
    assert "has moved your account from “Old county” to “New county”" in moved.body
    assigned = rows(NotificationKind.EXPERT_ASSIGNED).get()
    assert assigned.subject == f"Review assignment: {round}, 1 case"
    assert assigned.body.startswith("Dear Ann,")
    assert "Please complete your scoring by" in assigned.body
    assert "评审" not in assigned.body.replace(str(round), "")
    assert len(mail.outbox) == 2


def test_an_english_speaking_expert_gets_an_english_reminder(db):
    expert = _english_user(expert=True)
    closes = timezone.now() + timedelta(days=2)
    round = review_round(closes=closes, opens=closes - timedelta(days=20))
    assignment(round, expert, title="Case one")
    assert send_review_reminders(now=closes - timedelta(days=2)) == 1
    note = rows(NotificationKind.REVIEW_REMINDER).get()
    assert note.language == "en"
    assert not CJK.search(note.subject.replace(str(round), "")), note.subject
    assert not CJK.search(note.body.replace(str(round), "")), note.body


# --- deadline reminders -------------------------------------------------------------------------


@pytest.fixture
def reminder_scene(db):
    """A round closing at 18:00 local time in 20 days; four experts in different states.

    甲 two confirmed cases, one review submitted and one in draft → reminded of the draft only
    乙 everything submitted                                        → never reminded
    丙 only a proposed (unconfirmed) assignment                    → never reminded
    丁 one confirmed case, not started                              → reminded
    """
    local_now = timezone.localtime()
    closes = (local_now + timedelta(days=20)).replace(hour=18, minute=0, second=0, microsecond=0)
    round = review_round(opens=closes - timedelta(days=30), closes=closes, reminder_days=3)
    e = {x: UserFactory(expert=True, display_name=f"专家{x}") for x in "甲乙丙丁"}
    done = assignment(round, e["甲"], title="甲已评完的案例")
    Review.objects.create(assignment=done, status=ReviewStatus.SUBMITTED, submitted_at=closes)
    draft = assignment(round, e["甲"], title="甲未评完的案例")
    Review.objects.create(assignment=draft, status=ReviewStatus.DRAFT)
    Review.objects.create(
        assignment=assignment(round, e["乙"], title="乙的案例"),
        status=ReviewStatus.SUBMITTED,
        submitted_at=closes,
    )
    assignment(round, e["丙"], status=AssignmentStatus.PROPOSED)
    assignment(round, e["丁"], title="丁的案例")
    return round, e


def test_no_reminder_before_the_last_n_days(reminder_scene, commit):
    round, _e = reminder_scene
    with commit():
        assert send_review_reminders(now=round.closes_at - timedelta(days=3, hours=1)) == 0
        assert send_review_reminders(now=round.closes_at + timedelta(minutes=1)) == 0  # closed
    assert not rows().exists() and mail.outbox == []


def test_reminders_n_days_before_and_on_the_last_day_once_each(reminder_scene, commit):
    round, e = reminder_scene
    days_before = round.closes_at - timedelta(days=3) + timedelta(minutes=5)
    with commit():
        assert send_review_reminders(now=days_before) == 2
        assert send_review_reminders(now=days_before) == 0  # the periodic task ran twice
        assert send_review_reminders(now=days_before + timedelta(days=1)) == 0
    assert recipients(NotificationKind.REVIEW_REMINDER) == sorted([e["甲"].pk, e["丁"].pk])
    to_jia = rows().get(recipient=e["甲"])
    assert "甲未评完的案例" in to_jia.body and "甲已评完的案例" not in to_jia.body
    assert "1 个案例尚未提交评分" in to_jia.body
    deadline = timezone.localtime(round.closes_at).strftime("%Y-%m-%d %H:%M")
    assert deadline in to_jia.subject and "截止" in to_jia.subject
    assert mailed_to() == sorted([e["甲"].email, e["丁"].email])

    last_day = timezone.localtime(round.closes_at).replace(hour=8)
    with commit():
        assert send_review_reminders(now=last_day) == 2
        assert send_review_reminders(now=last_day + timedelta(hours=2)) == 0
    assert rows(NotificationKind.REVIEW_REMINDER).count() == 4
    last = rows().filter(recipient=e["丁"]).order_by("pk").last()
    assert "今天是" in last.subject and "评审截止日" in last.subject
    assert len(mail.outbox) == 4
    assert set(round.reminders.values_list("expert_id", "kind")) == {
        (e["甲"].pk, "days_before"),
        (e["丁"].pk, "days_before"),
        (e["甲"].pk, "last_day"),
        (e["丁"].pk, "last_day"),
    }


def test_an_expert_who_submits_everything_gets_no_last_day_reminder(reminder_scene, commit):
    round, e = reminder_scene
    with commit():
        send_review_reminders(now=round.closes_at - timedelta(days=2))
    Review.objects.create(
        assignment=Assignment.objects.get(round=round, expert=e["丁"]),
        status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    with commit():
        assert send_review_reminders(now=timezone.localtime(round.closes_at).replace(hour=9)) == 1
    assert rows().filter(recipient=e["丁"]).count() == 1
    assert rows().filter(recipient=e["甲"]).count() == 2


def test_the_review_reminder_celery_task_runs_the_same_code(reminder_scene, monkeypatch):
    from reviews import tasks
    from reviews.scoring import reminders

    seen = []
    monkeypatch.setattr(reminders, "send_review_reminders", lambda: seen.append(1) or 7)
    assert tasks.send_review_reminders.apply().get() == 7
    assert seen == [1]


# --- delivery: at most once, retried, failed, resent ------------------------------------------


@pytest.fixture
def pending(members):
    """One pending row (written, never handed to the task: no commit())."""
    [row] = services.notify([members["zh"]], kind=NotificationKind.ORGANISATION_CHANGED, context={})
    return row


def test_delivering_a_row_twice_sends_one_email(pending):
    assert deliver(pending.pk) == "sent"
    assert deliver(pending.pk) == "skipped"
    assert deliver_notification.apply(args=(pending.pk,)).get() == "skipped"
    assert len(mail.outbox) == 1
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (DeliveryStatus.SENT, 1)
    assert pending.sent_at is not None


def test_delivering_a_failed_or_missing_row_does_nothing(pending):
    Notification.objects.filter(pk=pending.pk).update(status=DeliveryStatus.FAILED)
    assert deliver(pending.pk) == "skipped"
    assert deliver(10**9) == "skipped"
    assert mail.outbox == []


def test_a_temporary_mail_failure_is_retried_with_backoff(pending, monkeypatch):
    real = LocmemBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) < 3:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real(self, messages)

    monkeypatch.setattr(LOCMEM_SEND, flaky)
    assert deliver(pending.pk) == "retry"
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.PENDING and pending.attempts == 1
    assert "Connection unexpectedly closed" in pending.last_error
    assert pending.next_attempt_at > timezone.now() + timedelta(seconds=25)

    # The eager task tries again at once, up to the limit: here the third try succeeds.
    assert deliver_notification.apply(args=(pending.pk,)).get() == "sent"
    pending.refresh_from_db()
    assert (pending.status, pending.attempts, pending.last_error) == (DeliveryStatus.SENT, 3, "")
    assert pending.next_attempt_at is None
    assert len(calls) == 3 and len(mail.outbox) == 1
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 20)] == [30, 60, 120, 240, 480, 3600]


def test_a_missing_address_fails_at_once_without_retrying(db, commit):
    user = UserFactory(expert=True, email="")
    with commit():
        services.notify([user], kind=NotificationKind.ORGANISATION_CHANGED, context={})
    row = rows().get()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "no email address" in row.last_error


@pytest.fixture
def outbox_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_a_failing_mail_server_ends_in_failed_and_the_outbox_resends_it(
    members, admin, outbox_client, commit, monkeypatch
):
    calls = []

    def down(self, messages):
        calls.append(len(messages))
        raise smtplib.SMTPConnectError(421, "mail.example.org: service not available")

    monkeypatch.setattr(LOCMEM_SEND, down)
    with commit():
        move_to_organisation(user=members["zh"], by=admin, organisation=CountyFactory())
    row = rows().get()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == delivery.MAX_ATTEMPTS == len(calls)
    assert row.last_error.startswith("SMTPConnectError")
    assert "service not available" in row.last_error
    assert row.next_attempt_at is None
    assert mail.outbox == []

    html = outbox_client.get(OUTBOX_URL).content.decode()
    assert row.subject in html and members["zh"].email in html
    assert "service not available" in html
    assert f'name="id" value="{row.pk}"' in html
    # Only failed rows are offered again; pending and sent are their own tabs.
    assert outbox_client.get(OUTBOX_URL + "?status=sent").status_code == 200

    monkeypatch.undo()  # the mail server is back
    r = outbox_client.post(RESEND_URL, {"id": row.pk})
    assert r.status_code == 302 and r["Location"] == OUTBOX_URL + "?status=failed"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert mailed_to() == [members["zh"].email]
    assert row.subject not in outbox_client.get(OUTBOX_URL).content.decode()
    assert row.subject in outbox_client.get(OUTBOX_URL + "?status=sent").content.decode()

    # Resending again (a double click) sends nothing more.
    outbox_client.post(RESEND_URL, {"id": row.pk})
    outbox_client.post(RESEND_URL)
    assert len(mail.outbox) == 1


def test_resend_all_puts_every_failed_row_back_and_only_those(members, outbox_client, pending):
    failed = [
        services.notify([m], kind=NotificationKind.ORGANISATION_CHANGED, context={})[0]
        for m in (members["zh"], members["en"])
    ]
    Notification.objects.filter(pk__in=[f.pk for f in failed]).update(
        status=DeliveryStatus.FAILED, attempts=5, last_error="SMTPConnectError: down"
    )
    r = outbox_client.post(RESEND_URL, follow=True)
    assert "已重新发送 2 条通知" in r.content.decode()
    assert set(rows().filter(status=DeliveryStatus.SENT).values_list("pk", flat=True)) == {
        f.pk for f in failed
    }
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.PENDING  # not the outbox page's business
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("role", ["locality", "expert"])
def test_the_outbox_is_for_administrators_only(role, client_for, pending):
    client = client_for(role)
    Notification.objects.filter(pk=pending.pk).update(status=DeliveryStatus.FAILED)
    assert client.get(OUTBOX_URL).status_code == 403
    assert client.post(RESEND_URL, {"id": pending.pk}).status_code == 403
    assert client.post(RESEND_URL).status_code == 403
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.FAILED
    assert mail.outbox == []


def test_the_outbox_sends_anonymous_visitors_to_the_login_page(client, pending):
    for response in (client.get(OUTBOX_URL), client.post(RESEND_URL, {"id": pending.pk})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert mail.outbox == []


# --- the email itself ----------------------------------------------------------------------------

NASTY = "<script>alert('x')</script> & <b>粗体</b>"


def test_the_email_has_an_html_alternative_that_escapes_user_text(case, admin, members, commit):
    with commit():
        submission_services.return_case(case=case, by=admin, reason=NASTY)
    message = next(m for m in mail.outbox if m.to == [members["zh"].email])
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert html.startswith('<html lang="zh-hans"><body>')
    assert "<script>" not in html and "<b>" not in html
    assert "在形式审查中被退回" in html
    assert f'<a href="{message.body.splitlines()[-1]}">' in html  # the link, last line of the text
    assert message.body.endswith(f"/cases/mine/{case.pk}/")


def test_user_text_is_plain_in_the_text_part_and_escaped_once_in_the_html(
    case, admin, members, commit
):
    with commit():
        submission_services.return_case(case=case, by=admin, reason=NASTY)
    message = next(m for m in mail.outbox if m.to == [members["zh"].email])
    html = message.alternatives[0][0]
    assert NASTY in message.body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in html
    assert "&amp;lt;" not in html


# --- broker down and the periodic resend ----------------------------------------------------------


def test_a_broker_error_leaves_the_user_action_done_and_the_row_pending(
    campaign, unit, members, settings, monkeypatch, commit, caplog
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    tried = []

    def broker_down(*args, **kwargs):
        tried.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(deliver_notification, "apply_async", broker_down)
    draft = draft_case(campaign, unit, **complete_fields())
    with commit():
        done = submission_services.submit_case(case=draft, by=members["zh"])
    assert done.status == CaseStatus.SUBMITTED
    assert rows(NotificationKind.CASE_SUBMITTED).count() == 2
    assert set(rows().values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert len(tried) == 1  # the broker is down: not asked once per row
    assert "stays pending" in caplog.text
    assert mail.outbox == []


def test_resend_pending_picks_only_old_pending_rows_not_waiting_for_a_retry(members, monkeypatch):
    now = timezone.now()

    def row(*, age, status=DeliveryStatus.PENDING, next_attempt_at=None):
        [n] = services.notify([members["zh"]], kind=NotificationKind.ORGANISATION_CHANGED)
        Notification.objects.filter(pk=n.pk).update(
            created_at=now - age, status=status, next_attempt_at=next_attempt_at
        )
        return n.pk

    due = {
        row(age=timedelta(minutes=10)),
        row(age=timedelta(hours=3), next_attempt_at=now - timedelta(minutes=30)),
    }
    row(age=timedelta(minutes=2))  # its task is probably still queued
    row(age=timedelta(minutes=10), next_attempt_at=now + timedelta(minutes=1))  # a retry waits
    row(age=timedelta(minutes=10), status=DeliveryStatus.SENT)
    row(age=timedelta(minutes=10), status=DeliveryStatus.FAILED)

    handed = []
    monkeypatch.setattr(services, "enqueue", lambda ids: handed.extend(ids))
    assert resend_pending() == 2
    assert set(handed) == due and len(handed) == 2

    monkeypatch.undo()
    assert resend_pending.apply().get() == 2  # eager: delivered at once
    assert set(rows().filter(status=DeliveryStatus.SENT).values_list("pk", flat=True)) >= due
    assert len(mail.outbox) == 2
    assert resend_pending() == 0  # nothing left to resend


def test_the_periodic_tasks_are_scheduled():
    schedule = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["notifications.tasks.resend_pending"] <= 300
    assert schedule["reviews.tasks.send_review_reminders"] <= 3600
    assert deliver_notification.acks_late
