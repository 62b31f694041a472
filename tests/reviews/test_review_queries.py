"""The expert's pages and the progress page cost a fixed number of queries.

The scoring page stays within 8 queries (its criteria, tiers, pledge and unread count come
from the cache and the session once warm) and costs the same whether the case
has 1 or 8 attachments and the expert 2 or 20 assignments; the workspace and
the progress page cost the same with 5 and with 40 assignments.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reform_cases.models import Attachment, AttachmentKind
from reviews.assignment import services as assignment_services
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Review,
    ReviewEvent,
    ReviewStatus,
    Score,
    Visibility,
)
from reviews.rounds import services as rounds_services
from reviews.scoring import services as scoring_services
from tests.factories import (
    PDF,
    UserFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    reviewing_campaign,
)
from tests.helpers import client_of, score_url

SCORE_PAGE_MAX = 8
PAGE_MAX = 20
# Measured counts, printed for the report.
MEASURED: dict[str, dict] = {}


def _attachments(case, n):
    Attachment.objects.bulk_create(
        [
            Attachment(
                case=case,
                kind=AttachmentKind.APPLICATION_FORM if i == 0 else AttachmentKind.SUPPORTING,
                file=f"attachments/{case.campaign_id}/{case.pk}/x/附件{i}.pdf",
                original_name=f"附件{i}.pdf",
                content_type="application/pdf",
                size=len(PDF),
            )
            for i in range(n)
        ]
    )


def _review(assignment, criteria, *, status, value="10"):
    """A review written straight to the database (the service is tested elsewhere)."""
    review = Review.objects.create(
        assignment=assignment,
        status=status,
        overall_comment="评价",
        total=Decimal("50.00") if status == ReviewStatus.SUBMITTED else None,
        submitted_at=timezone.now() if status == ReviewStatus.SUBMITTED else None,
    )
    Score.objects.bulk_create(
        [Score(review=review, criterion=c, value=Decimal(value), comment="评语") for c in criteria]
    )
    if status == ReviewStatus.SUBMITTED:
        ReviewEvent.objects.create(review=review, actor=assignment.expert, kind="submitted")
    return review


def _count(client, url, limit):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    n = len(ctx.captured_queries)
    assert n <= limit, "\n".join(q["sql"] for q in ctx.captured_queries)
    return n, response.content.decode()


def _score_page(*, attachments, assignments, submitted):
    """An expert with `assignments` cases; the first case has `attachments` files.

    submitted=False: the expert has a draft of the first case, others hidden.
    submitted=True: the expert has submitted and two other experts have too (shown).
    """
    campaign = reviewing_campaign()
    criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    assert len(criteria) == 5
    cases = [
        accepted_case_for_review(campaign, co=[accepted_case_for_review(campaign).organisation])
        for _ in range(assignments)
    ]
    _attachments(cases[0], attachments)
    round = make_open_round(campaign, cases=cases, visibility=Visibility.AFTER_OWN)
    expert = make_expert()
    mine = [confirmed(round, case, expert) for case in cases]
    scoring_services.accept_pledge(review_round=round, expert=expert)
    if submitted:
        _review(mine[0], criteria, status=ReviewStatus.SUBMITTED)
        for _ in range(2):
            _review(
                confirmed(round, cases[0], make_expert()), criteria, status=ReviewStatus.SUBMITTED
            )
    else:
        _review(mine[0], criteria, status=ReviewStatus.DRAFT)
    client = client_of(expert)
    client.get(score_url(mine[0]))  # warm the session and caches
    n, html = _count(client, score_url(mine[0]), SCORE_PAGE_MAX)
    assert html.count("附件") >= attachments
    assert ("其他专家的评分" in html) == submitted
    return n


@pytest.mark.parametrize("submitted", [False, True], ids=["draft", "submitted"])
def test_score_page_queries_do_not_grow(db, submitted):
    counts = {
        (a, n): _score_page(attachments=a, assignments=n, submitted=submitted)
        for a, n in ((1, 2), (8, 2), (1, 20), (8, 20))
    }
    MEASURED[f"reviews:score ({'submitted' if submitted else 'draft'})"] = counts
    print(f"reviews:score queries ({'submitted' if submitted else 'draft'}): {counts}")
    assert len(set(counts.values())) == 1, counts


def _workspace(n):
    """An expert with n confirmed assignments in two rounds, in every state."""
    campaign = reviewing_campaign()
    criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    cases = [accepted_case_for_review(campaign) for _ in range(n)]
    first = make_open_round(campaign, cases=cases)
    second = make_open_round(campaign, cases=cases, name="终评")
    expert = make_expert(max_cases=100)
    for i, case in enumerate(cases):
        assignment = confirmed(first if i % 2 else second, case, expert)
        if i % 3 == 1:
            _review(assignment, criteria, status=ReviewStatus.DRAFT)
        elif i % 3 == 2:
            _review(assignment, criteria, status=ReviewStatus.SUBMITTED)
    # A released and a proposed one are not listed.
    extra = accepted_case_for_review(campaign)
    first.cases.add(extra)
    Assignment.objects.create(
        round=first, case=extra, expert=expert, status=AssignmentStatus.RELEASED
    )
    return expert, cases, extra


def test_workspace_queries_do_not_grow(db):
    counts = {}
    for n in (5, 40):
        expert, cases, extra = _workspace(n)
        client = client_of(expert)
        client.get(reverse("reviews:workspace"))
        counts[n], html = _count(client, reverse("reviews:workspace"), PAGE_MAX)
        assert all(case.title in html for case in cases)
        assert extra.title not in html
        assert html.count("list-group-item-action") == n
    MEASURED["reviews:workspace"] = counts
    print(f"reviews:workspace queries: {counts}")
    assert counts[5] == counts[40]


def _progress(n):
    """A round with n confirmed assignments over several experts, in every state, two released."""
    campaign = reviewing_campaign()
    criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    experts = [make_expert(max_cases=100) for _ in range(4)]
    cases = [accepted_case_for_review(campaign) for _ in range((n + 1) // 2)]
    round = make_open_round(campaign, cases=cases, k=10)
    made = 0
    for i, case in enumerate(cases):
        for j in range(2):
            if made == n:
                break
            assignment = confirmed(round, case, experts[(i + j) % 4])
            state = (i + j) % 3
            if state == 1:
                _review(assignment, criteria, status=ReviewStatus.DRAFT)
            elif state == 2:
                # Totals far apart on alternate cases, so some spreads are flagged.
                review = _review(assignment, criteria, status=ReviewStatus.SUBMITTED)
                review.total = Decimal("95.00") if i % 2 else Decimal("40.00")
                review.save(update_fields=["total"])
            made += 1
    for case in cases[:2]:
        Assignment.objects.create(
            round=round, case=case, expert=make_expert(), status=AssignmentStatus.RELEASED
        )
    return round


def test_progress_page_queries_do_not_grow(db):
    client = client_of(UserFactory(administrator=True))
    counts = {}
    for n in (5, 40):
        round = _progress(n)
        url = reverse("manage:progress", kwargs={"pk": round.pk})
        client.get(url)
        counts[n], html = _count(client, url, PAGE_MAX)
        assert f"/ {n}(" in html  # "已提交 d / n(p%)"
        released = html.split("回避后待重新分配", 1)[1].split("</ul>", 1)[0]
        assert released.count(f'href="/manage/rounds/{round.pk}/assign/#case-') == 2
    MEASURED["manage:progress"] = counts
    print(f"manage:progress queries: {counts}")
    assert counts[5] == counts[40]


def test_assign_page_queries_do_not_grow(db):
    # Not asked for by the issue, but the hand-assignment page is the one with the
    # most rows (cases × experts); it must not cost a query per case or expert.
    client = client_of(UserFactory(administrator=True))
    counts = {}
    for n in (5, 40):
        campaign = reviewing_campaign()
        cases = [
            accepted_case_for_review(campaign, co=[accepted_case_for_review(campaign).organisation])
            for _ in range(n)
        ]
        round = make_open_round(campaign, cases=cases, k=2)
        experts = [make_expert(max_cases=100) for _ in range(max(3, n // 5))]
        for i, case in enumerate(cases):
            assignment_services.assign_expert(
                review_round=round, case=case, expert=experts[i % len(experts)], by=None
            )
        url = reverse("manage:assign", kwargs={"pk": round.pk})
        client.get(url)
        counts[n], html = _count(client, url, PAGE_MAX)
        assert html.count('id="case-') == n
    MEASURED["manage:assign"] = counts
    print(f"manage:assign queries: {counts}")
    assert counts[5] == counts[40]


SAVE_MAX = 22  # a draft saved for the first time, on SQLite (PostgreSQL adds nothing)


def _post(client, url, data):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("attachments", [1, 8])
def test_saving_scores_reads_only_what_saving_needs(db, attachments):
    """A save or a submit is answered by a redirect: the page's own reads (the case's files
    and co-organisations, the scores to show) are left to the page it redirects to, and the
    scores are written in one statement, not one per criterion (bench/deadline.py)."""
    campaign = reviewing_campaign()
    criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    case = accepted_case_for_review(campaign, co=[accepted_case_for_review(campaign).organisation])
    _attachments(case, attachments)
    round = make_open_round(campaign, cases=[case])
    expert = make_expert()
    assignment = confirmed(round, case, expert)
    scoring_services.accept_pledge(review_round=round, expert=expert)
    client = client_of(expert)
    url = score_url(assignment)
    client.get(url)  # warm the session and caches
    form = {f"score_{c.pk}": "5" for c in criteria} | {"overall_comment": "评价"}

    first = _post(client, url, form | {"save": "1"})
    again = _post(client, url, form | {f"score_{criteria[0].pk}": "6", "save": "1"})
    submit = _post(client, url, form | {f"score_{criteria[0].pk}": "6", "submit": "1"})

    for sqls in (first, again, submit):
        assert not any("reform_cases_attachment" in s or "co_organisations" in s for s in sqls)
    assert len(first) <= SAVE_MAX, "\n".join(first)
    assert sum(s.startswith('INSERT INTO "reviews_score"') for s in first) == 1
    assert sum(s.startswith('UPDATE "reviews_score"') for s in again) == 1  # one changed score
    assert not any(s.startswith('UPDATE "reviews_score"') for s in submit)  # nothing changed
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.SUBMITTED
    assert sorted((s.criterion_id, s.value) for s in review.scores.all()) == sorted(
        (c.pk, Decimal("6") if c == criteria[0] else Decimal("5")) for c in criteria
    )
    MEASURED[f"reviews:score POST ({attachments} attachments)"] = {
        "first draft": len(first),
        "draft again": len(again),
        "submit": len(submit),
    }
