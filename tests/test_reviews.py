"""Expert review (issue 5): bad input, conflicts, locks, pledges, reopening, progress.

Each refusal is checked for its message (what the user reads) and for what it
leaves behind (nothing lost, nothing half-done). The builders at the top are
plain functions shared by the other review test modules
(test_review_permissions, test_review_queries, test_browser_review).
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from common.exceptions import InvalidTransition
from notifications.models import Notification, NotificationKind
from reform_cases.models import CampaignStatus, CaseOutcome, CaseStatus
from reviews.assignment import services as assignment_services
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    Criterion,
    ExpertProfile,
    Panel,
    Pledge,
    Review,
    ReviewEvent,
    ReviewRound,
    ReviewStatus,
    Score,
    Visibility,
)
from reviews.rounds import services as rounds_services
from reviews.scoring import services as scoring_services
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    TierFactory,
    UserFactory,
)
from tests.submission_helpers import message_text

# --- builders shared by the review tests -------------------------------------------

OVERALL = "做法扎实,成效有数据支撑。"
# A rubric with unequal maxima and weights (Σw = 3).
RUBRIC = [("创新性", "25", "1.2"), ("实效性", "20", "1"), ("群众获得感", "15", "0.8")]


def reviewing_campaign(**kwargs):
    """A campaign in expert review (not public)."""
    values = {"status": CampaignStatus.REVIEWING, "published_at": None}
    values.update(kwargs)
    return CampaignFactory(**values)


def accepted_case(campaign, organisation=None, *, co=(), **kwargs):
    """An accepted case of `organisation` (a new county by default) with every section filled in."""
    organisation = organisation or CountyFactory()
    values = {
        "campaign": campaign,
        "organisation": organisation,
        "region": organisation.parent or organisation,
        "status": CaseStatus.ACCEPTED,
        "outcome": CaseOutcome.PENDING,
        "summary": "以数据共享替代材料提交。",
        "background": "办事难、办事慢。",
        "measures": "一窗受理、集成服务。",
        "results": "平均办理时间缩短一半。",
        "innovation": "首创“无证明城市”。",
        "replicability": "已在全省推广。",
        "co_organisations": list(co),
    }
    values.update(kwargs)
    return CaseFactory(**values)


def make_expert(*, affiliation=None, max_cases=30, name=None, institution="", **kwargs):
    """An expert account with a profile (affiliated with `affiliation`, or an outside institution)."""
    user = UserFactory(expert=True, **kwargs)
    if name:
        user.display_name = name
        user.save(update_fields=["display_name"])
    ExpertProfile.objects.create(
        user=user,
        affiliation=affiliation,
        institution=institution or ("" if affiliation else "省外某大学"),
        inside_province=affiliation is not None,
        max_cases_per_round=max_cases,
    )
    return user


def make_rubric(campaign, spec=RUBRIC):
    """Criteria of `campaign` from (name, maximum, weight) triples, in that order."""
    return [
        Criterion.objects.create(
            campaign=campaign, name=name, max_score=Decimal(top), weight=Decimal(w), order=i
        )
        for i, (name, top, w) in enumerate(spec, start=1)
    ]


def make_round(
    campaign,
    *,
    cases=(),
    k=3,
    visibility=Visibility.AFTER_CLOSE,
    blind=False,
    opens=None,
    closes=None,
    order=None,
    name="初评",
    panels=(),
):
    """A round open now (yesterday to in two weeks) unless told otherwise."""
    now = timezone.now()
    if order is None:
        order = campaign.rounds.count() + 1
    round = ReviewRound.objects.create(
        campaign=campaign,
        name=name,
        order=order,
        reviewers_per_case=k,
        opens_at=opens or now - timedelta(days=1),
        closes_at=closes or now + timedelta(days=14),
        visibility=visibility,
        blind=blind,
    )
    round.cases.add(*cases)
    round.panels.add(*panels)
    return round


def confirmed(round, case, expert):
    """A confirmed assignment, as after confirm_assignments."""
    return Assignment.objects.create(
        round=round,
        case=case,
        expert=expert,
        status=AssignmentStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )


def score_data(criteria, values, *, comments=None, overall=OVERALL, tier="", submit=False):
    """The POST of the score form: one value (and comment) per criterion, in order."""
    data = {"overall_comment": overall, "recommended_tier": tier}
    for i, (criterion, value) in enumerate(zip(criteria, values, strict=True)):
        data[f"score_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = (comments or {}).get(i, "")
    data["submit" if submit else "save"] = "1"
    return data


def review_of(assignment, criteria, values, *, submit=True, overall=OVERALL):
    """Save (and by default submit) a review through the service, pledging first."""
    scoring_services.accept_pledge(review_round=assignment.round, expert=assignment.expert)
    return scoring_services.save_review(
        assignment=assignment,
        by=assignment.expert,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        comments={},
        overall_comment=overall,
        submit=submit,
    )


def client_of(user):
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def score_url(assignment):
    return reverse("reviews:score", kwargs={"pk": assignment.pk})


def shanghai(dt, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(dt).strftime(fmt)


# --- fixtures of this module ----------------------------------------------------------


class Desk:
    """One expert with one confirmed, pledged assignment in an open round."""


@pytest.fixture
def desk(db):
    d = Desk()
    d.campaign = reviewing_campaign()
    d.criteria = make_rubric(d.campaign)
    d.tier = TierFactory(campaign=d.campaign, name="最佳实践案例")
    d.case = accepted_case(d.campaign, title="“无证明城市”改革")
    d.round = make_round(d.campaign, cases=[d.case])
    d.expert = make_expert(name="钱评审")
    d.assignment = confirmed(d.round, d.case, d.expert)
    scoring_services.accept_pledge(review_round=d.round, expert=d.expert)
    d.client = client_of(d.expert)
    d.url = score_url(d.assignment)
    return d


@pytest.fixture
def office_client(db):
    return client_of(UserFactory(administrator=True, display_name="组织方小王"))


def review_state(assignment):
    """Everything a refused POST must leave as it was."""
    review = Review.objects.filter(assignment=assignment).first()
    if review is None:
        return None
    return (
        review.status,
        review.total,
        review.overall_comment,
        review.recommended_tier_id,
        review.submitted_at,
        sorted((s.criterion_id, s.value, s.comment) for s in review.scores.all()),
        list(review.events.values_list("kind", "note")),
    )


# --- bad input on the score form --------------------------------------------------------

BAD_VALUES = [
    # typed,      message (the first criterion is 创新性, 0–25)
    ("30", "创新性:分数应在 0 到 25 之间。"),
    ("25.5", "创新性:分数应在 0 到 25 之间。"),
    ("-1", "创新性:分数应在 0 到 25 之间。"),
    ("-0.5", "创新性:分数应在 0 到 25 之间。"),
    ("abc", "创新性:请填写数字。"),
    ("12,5", "创新性:请填写数字。"),
    ("7.3", "创新性:分数以 0.5 为单位。"),
    ("12.25", "创新性:分数以 0.5 为单位。"),
    ("NaN", "创新性:请填写数字。"),
    ("nan", "创新性:请填写数字。"),
    ("sNaN", "创新性:请填写数字。"),
    ("Infinity", "创新性:请填写数字。"),
    ("-Infinity", "创新性:请填写数字。"),
    ("inf", "创新性:请填写数字。"),
    ("1e400", "创新性:分数应在 0 到 25 之间。"),
]


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
@pytest.mark.parametrize("typed,message", BAD_VALUES)
def test_bad_score_is_refused_with_its_message_and_the_typed_form_kept(
    desk, typed, message, submit
):
    data = score_data(
        desk.criteria,
        [typed, "16.5", "12"],
        comments={0: "首创性强", 1: "数据翔实", 2: "群众满意"},
        overall="总体评价:值得推广。",
        tier=str(desk.tier.pk),
        submit=submit,
    )
    response = desk.client.post(desk.url, data)

    # Re-rendered (not redirected), with the message naming the criterion.
    assert response.status_code == 200
    assert message in message_text(response)
    assert message in response.content.decode()
    # Nothing saved: no review, no scores, no event.
    assert not Review.objects.filter(assignment=desk.assignment).exists()
    assert not Score.objects.exists()
    # Nothing lost: every typed value is back in the form.
    html = response.content.decode()
    c1, c2, c3 = desk.criteria
    assert f'name="score_{c1.pk}" id="score_{c1.pk}" value="{typed}"' in html
    assert f'name="score_{c2.pk}" id="score_{c2.pk}" value="16.5"' in html
    assert f'name="score_{c3.pk}" id="score_{c3.pk}" value="12"' in html
    for comment in ("首创性强", "数据翔实", "群众满意"):
        assert f'value="{comment}"' in html
    assert ">总体评价:值得推广。</textarea>" in html
    assert f'<option value="{desk.tier.pk}" selected>' in html


def test_out_of_range_message_gives_the_maximum_as_people_write_it(desk):
    # 实效性 has a maximum of 20 (stored as 20.0). The page says 0–20, and so must the message.
    page = desk.client.get(desk.url).content.decode()
    assert '实效性 <small class="text-body-secondary">(0–20,权重 1)</small>' in page
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "21", "12"]))
    assert response.status_code == 200
    assert "2E+1" not in message_text(response)
    assert "实效性:分数应在 0 到 20 之间。" in message_text(response)
    assert not Review.objects.exists()


def test_bad_score_leaves_the_saved_draft_as_it_was(desk):
    c1, c2, c3 = desk.criteria
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "10"], overall="初稿"))
    before = review_state(desk.assignment)
    assert before[0] == ReviewStatus.DRAFT
    assert before[5] == [
        (c1.pk, Decimal("20.0"), ""),
        (c2.pk, Decimal("15.0"), ""),
        (c3.pk, Decimal("10.0"), ""),
    ]

    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["21", "NaN", "11"], overall="改稿", submit=True)
    )

    assert response.status_code == 200
    assert "实效性:请填写数字。" in message_text(response)
    assert review_state(desk.assignment) == before  # the draft is untouched
    html = response.content.decode()
    assert f'id="score_{c1.pk}" value="21"' in html  # ...and the new typing is not lost
    assert ">改稿</textarea>" in html


def test_every_bad_value_is_reported_at_once(desk):
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["99", "x", "0.3"], submit=True)
    )
    text = message_text(response)
    assert "创新性:分数应在 0 到 25 之间。" in text
    assert "实效性:请填写数字。" in text
    assert "群众获得感:分数以 0.5 为单位。" in text
    assert not Review.objects.exists()


def test_typed_values_are_escaped_when_shown_again(desk):
    typed = '"><script>alert(1)</script>'
    response = desk.client.post(desk.url, score_data(desk.criteria, [typed, "1", "1"]))
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_boundaries_are_accepted(desk):
    # 0, the maximum and steps of 0.5 are all valid; the total is 100·Σw·s/max/Σw:
    #   1.2 × 25/25 + 1 × 0/20 + 0.8 × 7.5/15 = 1.2 + 0 + 0.4 = 1.6; × 100 / 3 = 53.333… → 53.33
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["25", "0", "7.5"], submit=True)
    )
    assert response.status_code == 302
    review = Review.objects.get(assignment=desk.assignment)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.total == Decimal("53.33")
    assert "评分已提交。" in message_text(desk.client.get(desk.url))


def test_missing_criterion_is_fine_in_a_draft(desk):
    c1, c2, c3 = desk.criteria
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12.5"]))
    assert response.status_code == 302
    review = Review.objects.get(assignment=desk.assignment)
    assert review.status == ReviewStatus.DRAFT
    assert review.total is None
    values = dict(review.scores.values_list("criterion_id", "value"))
    assert values == {c1.pk: Decimal("20.0"), c2.pk: None, c3.pk: Decimal("12.5")}
    assert "草稿已保存。" in message_text(desk.client.get(desk.url))
    # The page shows the draft as it was saved.
    html = desk.client.get(desk.url).content.decode()
    assert f'id="score_{c1.pk}" value="20"' in html
    assert f'id="score_{c2.pk}" value=""' in html
    assert f'id="score_{c3.pk}" value="12.5"' in html


def test_missing_criterion_is_refused_at_submit(desk):
    c1, _c2, c3 = desk.criteria
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12.5"], overall="草稿"))
    before = review_state(desk.assignment)

    response = desk.client.post(
        desk.url,
        score_data(desk.criteria, ["21", "", "13"], overall="准备提交", submit=True),
    )

    assert response.status_code == 200
    assert "提交前请为以下指标打分:实效性。" in message_text(response)
    assert review_state(desk.assignment) == before
    assert not ReviewEvent.objects.exists()
    html = response.content.decode()
    assert f'id="score_{c1.pk}" value="21"' in html
    assert f'id="score_{c3.pk}" value="13"' in html
    assert ">准备提交</textarea>" in html


def test_overall_comment_is_required_at_submit_only(desk):
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["20", "15", "10"], overall="  ", submit=True)
    )
    assert response.status_code == 200
    assert "提交前请填写总体评价。" in message_text(response)
    assert not Review.objects.exists()
    # As a draft it is fine.
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "10"], overall=""))
    assert response.status_code == 302
    assert Review.objects.get().status == ReviewStatus.DRAFT


def test_submitting_twice_from_two_tabs_keeps_one_review(desk):
    # Both tabs are open on the form before either submits.
    assert desk.client.get(desk.url).status_code == 200
    tab2 = client_of(desk.expert)
    assert tab2.get(desk.url).status_code == 200

    first = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    assert first.status_code == 302
    submitted = review_state(desk.assignment)
    # 1.2 × 0.8 + 1 × 0.75 + 0.8 × 0.8 = 2.35; × 100 / 3 = 78.33
    assert submitted[0] == ReviewStatus.SUBMITTED
    assert submitted[1] == Decimal("78.33")

    second = tab2.post(
        desk.url, score_data(desk.criteria, ["25", "20", "15"], overall="另一个标签页", submit=True)
    )

    assert second.status_code == 200
    assert "评分已提交,不能再修改。" in message_text(second)
    assert Review.objects.filter(assignment=desk.assignment).count() == 1
    assert ReviewEvent.objects.filter(kind="submitted").count() == 1
    assert review_state(desk.assignment) == submitted  # the first submission stands
    # Saving a draft over it is refused the same way.
    third = tab2.post(desk.url, score_data(desk.criteria, ["1", "1", "1"]))
    assert "评分已提交,不能再修改。" in message_text(third)
    assert review_state(desk.assignment) == submitted


def test_submitted_review_shows_locked_form(desk):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    html = desk.client.get(desk.url).content.decode()
    assert "78.33" in html
    assert 'name="submit"' not in html
    for c in desk.criteria:
        assert re.search(rf'id="score_{c.pk}" value="[^"]*" disabled', html)


def test_submitting_after_close_is_refused_and_the_draft_kept(desk):
    desk.client.post(
        desk.url,
        score_data(desk.criteria, ["20", "", "12"], comments={0: "亮点突出"}, overall="未完成"),
    )
    before = review_state(desk.assignment)
    now = timezone.now()
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=now - timedelta(days=20), closes_at=now - timedelta(minutes=5)
    )
    desk.round.refresh_from_db()
    window = (
        f"本轮评审时间为 {shanghai(desk.round.opens_at)} 至 {shanghai(desk.round.closes_at)},"
        "现在不能修改评分。"
    )

    for submit in (True, False):
        response = desk.client.post(
            desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=submit)
        )
        assert response.status_code == 200
        assert window in message_text(response)
        assert review_state(desk.assignment) == before

    # The service says the same, whoever calls it.
    with pytest.raises(InvalidTransition) as exc:
        scoring_services.save_review(
            assignment=desk.assignment,
            by=desk.expert,
            scores={c.pk: "10" for c in desk.criteria},
            comments={},
            overall_comment="x",
            submit=True,
        )
    assert window in exc.value.messages
    # The expert still sees the draft, read-only.
    html = desk.client.get(desk.url).content.decode()
    assert "本轮评审未开放或已结束,不能修改。" in html
    assert ">未完成</textarea>" in html
    assert 'name="save"' not in html


def test_unsubmitted_draft_stays_visible_to_administrators_after_close(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12"]))
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(minutes=5),
    )
    html = office_client.get(reverse("manage:progress", kwargs={"pk": desk.round.pk})).content
    html = html.decode()
    overdue = html.split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "钱评审 · “无证明城市”改革(有草稿)" in overdue
    row = expert_row(html, "钱评审")
    assert row[:2] == ("0 / 1", "1")  # done / assigned, drafts


def test_scoring_before_the_round_opens_is_refused(desk):
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() + timedelta(days=1), closes_at=timezone.now() + timedelta(days=9)
    )
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"]))
    assert "现在不能修改评分" in message_text(response)
    assert not Review.objects.exists()


def test_recommended_tier_of_another_campaign_is_refused(desk):
    other = TierFactory()
    with pytest.raises(ValidationError) as exc:
        scoring_services.save_review(
            assignment=desk.assignment,
            by=desk.expert,
            scores={c.pk: "10" for c in desk.criteria},
            comments={},
            overall_comment="x",
            recommended_tier=other,
        )
    assert "建议等次无效。" in exc.value.messages
    assert not Review.objects.exists()


def test_another_expert_cannot_save_through_the_service(desk):
    intruder = make_expert()
    scoring_services.accept_pledge(review_round=desk.round, expert=intruder)
    with pytest.raises(InvalidTransition, match="该案例未分配给您。"):
        scoring_services.save_review(
            assignment=desk.assignment,
            by=intruder,
            scores={},
            comments={},
            overall_comment="",
        )
    assert not Review.objects.exists()


# --- pledge -------------------------------------------------------------------------------


@pytest.fixture
def unpledged(db):
    d = Desk()
    d.campaign = reviewing_campaign()
    d.criteria = make_rubric(d.campaign)
    d.case = accepted_case(d.campaign)
    d.round = make_round(d.campaign, cases=[d.case])
    d.expert = make_expert()
    d.assignment = confirmed(d.round, d.case, d.expert)
    d.client = client_of(d.expert)
    d.url = score_url(d.assignment)
    return d


def test_scoring_requires_the_pledge_first(unpledged):
    d = unpledged
    pledge_url = reverse("reviews:pledge", kwargs={"round_pk": d.round.pk})

    response = d.client.get(d.url)
    assert response.status_code == 302
    assert response["Location"] == f"{pledge_url}?next={d.url}"
    # A POST is sent to the pledge too, and nothing is saved.
    response = d.client.post(d.url, score_data(d.criteria, ["20", "15", "12"], submit=True))
    assert response.status_code == 302 and response["Location"].startswith(pledge_url)
    assert not Review.objects.exists()
    # The service refuses as well.
    with pytest.raises(InvalidTransition, match="请先阅读并接受评审承诺书。"):
        scoring_services.save_review(
            assignment=d.assignment, by=d.expert, scores={}, comments={}, overall_comment=""
        )

    page = d.client.get(response["Location"])
    assert page.status_code == 200
    assert "评审承诺书" in page.content.decode()

    # Not ticking the box is refused.
    response = d.client.post(pledge_url, {"next": d.url})
    assert response.status_code == 200
    assert "请勾选“我已阅读并承诺遵守”。" in message_text(response)
    assert not Pledge.objects.exists()

    before = timezone.now()
    response = d.client.post(pledge_url, {"agree": "on", "next": d.url})
    after = timezone.now()
    assert response.status_code == 302
    assert response["Location"] == d.url
    pledge = Pledge.objects.get()
    assert (pledge.round, pledge.expert) == (d.round, d.expert)
    assert before <= pledge.accepted_at <= after
    assert d.client.get(d.url).status_code == 200
    # Accepting again records nothing new and keeps the first time.
    d.client.post(pledge_url, {"agree": "on"})
    assert Pledge.objects.get().accepted_at == pledge.accepted_at


def test_pledge_is_per_round(unpledged):
    d = unpledged
    scoring_services.accept_pledge(review_round=d.round, expert=d.expert)
    final = make_round(d.campaign, cases=[d.case], name="终评")
    assignment = confirmed(final, d.case, d.expert)
    response = d.client.get(score_url(assignment))
    assert response.status_code == 302
    assert f"/review/rounds/{final.pk}/pledge/" in response["Location"]


def test_pledge_next_goes_nowhere_outside_review(unpledged):
    d = unpledged
    pledge_url = reverse("reviews:pledge", kwargs={"round_pk": d.round.pk})
    response = d.client.post(pledge_url, {"agree": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("reviews:workspace")


# --- conflicts refused in hand assignment ------------------------------------------------------


def _same_organisation(campaign):
    county = CountyFactory()
    return county, accepted_case(campaign, county), "是该案例的申报或共同实施单位"


def _expert_at_the_case_city(campaign):
    city = CityFactory()
    county = CountyFactory(parent=city)
    return city, accepted_case(campaign, county), f"案例单位“{county.name}”是专家所在单位的下级单位"


def _expert_at_a_county_of_the_case_city(campaign):
    city = CityFactory()
    county = CountyFactory(parent=city)
    return county, accepted_case(campaign, city), f"案例单位“{city.name}”是专家所在单位的上级单位"


def _co_implementing(campaign):
    partner = CountyFactory()
    case = accepted_case(campaign, CountyFactory(), co=[partner])
    return partner, case, f"专家所在单位“{partner.name}”是该案例的申报或共同实施单位"


def _co_implementing_county_of_expert_city(campaign):
    city = CityFactory()
    partner = CountyFactory(parent=city)
    case = accepted_case(campaign, CountyFactory(), co=[partner])
    return city, case, f"案例单位“{partner.name}”是专家所在单位的下级单位"


def _declared(campaign):
    case = accepted_case(campaign)
    return None, case, "已登记回避:曾参与该案例的方案论证"


CONFLICTS = {
    "same organisation": _same_organisation,
    "expert at the case's city (parent)": _expert_at_the_case_city,
    "expert at a county of the case's city (child)": _expert_at_a_county_of_the_case_city,
    "co-implementing organisation": _co_implementing,
    "co-implementing county of the expert's city": _co_implementing_county_of_expert_city,
    "declared conflict": _declared,
    "recorded conflict": _declared,
}


@pytest.fixture
def conflicted(request, db):
    """(round, case, expert, reason) of a conflicted pair, by the parameter's name."""
    kind = request.param
    campaign = reviewing_campaign()
    affiliation, case, reason = CONFLICTS[kind](campaign)
    expert = make_expert(affiliation=affiliation)
    if kind == "declared conflict":
        Conflict.objects.create(
            expert=expert,
            case=case,
            source=ConflictSource.DECLARED,
            reason="曾参与该案例的方案论证",
            recorded_by=expert,
        )
    if kind == "recorded conflict":
        assignment_services.record_conflict(
            expert=expert,
            case=case,
            by=UserFactory(administrator=True),
            reason="曾参与该案例的方案论证",
        )
    round = make_round(campaign, cases=[case])
    return round, case, expert, reason


@pytest.mark.parametrize("conflicted", CONFLICTS, indirect=True)
def test_service_refuses_a_conflicted_pair(conflicted):
    round, case, expert, reason = conflicted
    with pytest.raises(InvalidTransition) as exc:
        assignment_services.assign_expert(review_round=round, case=case, expert=expert, by=None)
    assert exc.value.messages[0].startswith("不能分配:")
    assert reason in exc.value.messages[0]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("conflicted", CONFLICTS, indirect=True)
def test_assign_page_refuses_a_conflicted_pair(conflicted, office_client):
    round, case, expert, reason = conflicted
    url = reverse("manage:assign-add", kwargs={"pk": round.pk})

    response = office_client.post(url, {"case": case.pk, "expert": expert.pk}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(f"/manage/rounds/{round.pk}/assign/")
    assert "不能分配:" in message_text(response)
    assert reason in response.content.decode()
    assert not Assignment.objects.exists()
    # The page offers the pair as disabled, marked 回避.
    assert re.search(
        rf'<option value="{expert.pk}" disabled>[^<]*— 回避</option>', response.content.decode()
    )


def test_sibling_county_is_not_a_conflict(db):
    # Two counties of one city are neither above nor below each other.
    campaign = reviewing_campaign()
    city = CityFactory()
    case = accepted_case(campaign, CountyFactory(parent=city))
    expert = make_expert(affiliation=CountyFactory(parent=city))
    round = make_round(campaign, cases=[case])
    assignment = assignment_services.assign_expert(
        review_round=round, case=case, expert=expert, by=None
    )
    assert assignment.status == AssignmentStatus.PROPOSED


# --- rubric lock -----------------------------------------------------------------------------


def rubric_post(criteria, **changes):
    """The rubric formset's POST with the criteria as they are, `changes` by index."""
    data = {
        "criteria-TOTAL_FORMS": str(len(criteria)),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(criteria):
        row = {
            "id": c.pk,
            "order": c.order,
            "name": c.name,
            "description": c.description,
            "max_score": c.max_score,
            "weight": c.weight,
        }
        row.update(changes.get(f"c{i}", {}))
        for key, value in row.items():
            data[f"criteria-{i}-{key}"] = value
    return data


def _rubric(campaign):
    return list(campaign.criteria.values_list("name", "max_score", "weight"))


def test_rubric_can_be_edited_before_any_score(desk, office_client):
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})
    response = office_client.post(url, rubric_post(desk.criteria, c0={"weight": "2"}))
    assert response.status_code == 302
    assert Criterion.objects.get(pk=desk.criteria[0].pk).weight == Decimal("2")


def test_rubric_is_locked_once_a_score_exists(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", ""]))  # one value, a draft
    before = _rubric(desk.campaign)
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})

    # The service refuses...
    formset_data = rubric_post(desk.criteria, c0={"max_score": "30"})
    from reviews.rounds.forms import CriterionFormSet

    formset = CriterionFormSet(formset_data, instance=desk.campaign, prefix="criteria")
    assert formset.is_valid()
    with pytest.raises(InvalidTransition, match="评分指标已锁定"):
        rounds_services.save_rubric(campaign=desk.campaign, formset=formset, by=None)
    assert _rubric(desk.campaign) == before

    # ...and so does the page, saying why; nothing changes.
    response = office_client.post(url, formset_data)
    assert response.status_code == 200
    assert "已有专家评分,评分指标已锁定,不能再修改。" in message_text(response)
    assert _rubric(desk.campaign) == before
    deleting = rubric_post(desk.criteria, c2={"DELETE": "on"})
    office_client.post(url, deleting)
    assert _rubric(desk.campaign) == before

    page = office_client.get(url).content.decode()
    assert "已有专家评分,评分指标已锁定。" in page
    assert "使用默认指标" not in page
    assert '<button class="btn btn-primary">保存</button>' not in page


def test_locked_rubric_cannot_be_changed_in_the_django_admin_either(desk, office_client):
    # Administrators work in the Django admin too (User.has_perm); the lock must hold there.
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    assert rounds_services.rubric_locked(desk.campaign)
    before = _rubric(desk.campaign)
    criterion = desk.criteria[0]
    url = reverse("admin:reviews_criterion_change", args=[criterion.pk])

    office_client.post(
        url,
        {
            "campaign": desk.campaign.pk,
            "name": criterion.name,
            "description": "",
            "max_score": "50",
            "weight": "3",
            "order": "1",
        },
    )

    assert _rubric(desk.campaign) == before
    # The submitted total still follows from the rubric as it stands.
    assert Review.objects.get().total == Decimal("78.33")


def test_rubric_with_only_empty_draft_scores_can_still_be_edited(desk, office_client):
    # A draft saved with no value at all does not lock the rubric (no score exists):
    # deleting a criterion must then work (it used to crash on the protected foreign key).
    c1, c2, _c3 = desk.criteria
    desk.client.post(desk.url, score_data(desk.criteria, ["", "", ""], overall="还没打分"))
    assert Score.objects.filter(value__isnull=True).count() == 3
    assert not rounds_services.rubric_locked(desk.campaign)
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})
    client = Client(raise_request_exception=False)
    client.force_login(office_client.user)

    response = client.post(url, rubric_post(desk.criteria, c2={"DELETE": "on"}))

    assert response.status_code == 302, response.status_code
    assert list(desk.campaign.criteria.all()) == [c1, c2]
    # The expert's draft lives on and can be submitted on the remaining criteria:
    # 1.2 × 20/25 + 1 × 15/20 = 0.96 + 0.75 = 1.71; × 100 / 2.2 = 77.727… → 77.73
    review = Review.objects.get(assignment=desk.assignment)
    assert review.overall_comment == "还没打分"
    response = desk.client.post(desk.url, score_data([c1, c2], ["20", "15"], submit=True))
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal("77.73"))


def test_criterion_with_a_written_comment_is_not_deleted(desk, office_client):
    # A draft with a comment but no value: the rubric is not locked, but the comment
    # would be lost with the criterion, so deleting that one is refused with a message.
    c1, c2, c3 = desk.criteria
    desk.client.post(
        desk.url, score_data(desk.criteria, ["", "", ""], comments={2: "需要补充满意度调查数据"})
    )
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})

    response = office_client.post(url, rubric_post(desk.criteria, c2={"DELETE": "on"}))

    assert response.status_code == 200
    assert "群众获得感" in message_text(response) and "评语" in message_text(response)
    assert list(desk.campaign.criteria.all()) == [c1, c2, c3]
    assert Score.objects.get(criterion=c3).comment == "需要补充满意度调查数据"


# --- declaring a conflict ------------------------------------------------------------------------


def test_declaring_a_conflict_releases_the_assignment(desk, office_client):
    conflict_url = reverse("reviews:conflict", kwargs={"pk": desk.assignment.pk})
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", ""]))  # a draft exists

    # Without a reason: refused, nothing released.
    response = desk.client.post(conflict_url, {"reason": "  "}, follow=True)
    assert "请说明回避理由。" in message_text(response)
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.CONFIRMED
    assert not Conflict.objects.exists()

    response = desk.client.post(conflict_url, {"reason": "本人曾为该县提供咨询服务"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:workspace")
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.RELEASED
    conflict = Conflict.objects.get()
    assert (conflict.expert, conflict.case, conflict.source) == (
        desk.expert,
        desk.case,
        ConflictSource.DECLARED,
    )
    assert conflict.reason == "本人曾为该县提供咨询服务"

    # The case has left the expert's list and its page.
    workspace = desk.client.get(reverse("reviews:workspace")).content.decode()
    assert desk.case.title not in workspace
    assert desk.client.get(desk.url).status_code == 404

    # Administrators see it for reassignment...
    progress = office_client.get(reverse("manage:progress", kwargs={"pk": desk.round.pk}))
    released = progress.content.decode().split("回避后待重新分配", 1)[1].split("</ul>", 1)[0]
    assert f"钱评审 · {desk.case.title}" in released
    assert f"/manage/rounds/{desk.round.pk}/assign/#case-{desk.case.pk}" in released
    # ...which refuses the same expert and takes another one.
    with pytest.raises(InvalidTransition, match="已登记回避:本人曾为该县提供咨询服务"):
        assignment_services.assign_expert(
            review_round=desk.round, case=desk.case, expert=desk.expert, by=None
        )
    other = make_expert()
    assert assignment_services.assign_expert(
        review_round=desk.round, case=desk.case, expert=other, by=None
    )


def test_a_submitted_review_cannot_be_declared_away(desk):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    with pytest.raises(InvalidTransition, match="评分已提交,不能再申报回避"):
        assignment_services.declare_conflict(
            assignment=desk.assignment, by=desk.expert, reason="后来发现"
        )
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.CONFIRMED


def test_recording_a_conflict_releases_the_pair(desk, office_client):
    url = reverse("manage:conflict-record", kwargs={"pk": desk.round.pk})
    response = office_client.post(
        url, {"case": desk.case.pk, "expert": desk.expert.pk, "reason": "配偶在申报单位工作"}
    )
    assert response.status_code == 302
    desk.assignment.refresh_from_db()
    assert desk.assignment.status == AssignmentStatus.RELEASED
    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.reason) == (ConflictSource.RECORDED, "配偶在申报单位工作")
    assert conflict.recorded_by == office_client.user
    assert desk.client.get(desk.url).status_code == 404


# --- reopening -------------------------------------------------------------------------------


def test_administrator_reopens_a_submitted_review_with_a_reason(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    review = Review.objects.get()
    url = reverse("manage:review-reopen", kwargs={"pk": desk.round.pk})

    # No reason: refused, nothing changes.
    response = office_client.post(url, {"review": review.pk, "reason": ""}, follow=True)
    assert "请填写重新开放的理由。" in message_text(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(kind="reopened").exists()
    with pytest.raises(ValidationError, match="请填写重新开放的理由"):
        scoring_services.reopen_review(review=review, by=office_client.user, reason="   ")

    response = office_client.post(url, {"review": review.pk, "reason": "实效性分数录入有误"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.total is None and review.submitted_at is None
    event = ReviewEvent.objects.get(kind="reopened")
    assert (event.review, event.actor, event.note) == (
        review,
        office_client.user,
        "实效性分数录入有误",
    )

    # The expert can edit again, and submit again.
    html = desk.client.get(desk.url).content.decode()
    assert 'name="submit"' in html
    assert (
        desk.client.post(desk.url, score_data(desk.criteria, ["20", "18", "12"])).status_code == 302
    )
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["20", "18", "12"], submit=True)
    )
    assert response.status_code == 302
    review.refresh_from_db()
    # 0.96 + 1 × 18/20 (0.9) + 0.64 = 2.5; × 100 / 3 = 83.33
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal("83.33"))
    assert list(review.events.values_list("kind", flat=True)) == [
        "submitted",
        "reopened",
        "submitted",
    ]


def test_reopening_after_close_is_refused(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(minutes=1),
    )
    review = Review.objects.get()
    response = office_client.post(
        reverse("manage:review-reopen", kwargs={"pk": desk.round.pk}),
        {"review": review.pk, "reason": "录入有误"},
        follow=True,
    )
    assert "本轮已结束,请先延长截止时间。" in message_text(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


# --- confirming, k per case, load -------------------------------------------------------------


@pytest.fixture
def board(db):
    """A round (k = 2) with four cases and three experts in its panel, nothing assigned yet."""
    d = Desk()
    d.campaign = reviewing_campaign()
    d.cases = [accepted_case(d.campaign, title=f"分配测试案例{i}") for i in range(4)]
    d.experts = [make_expert(name=f"专家{'甲乙丙'[i]}") for i in range(3)]
    d.panel = Panel.objects.create(campaign=d.campaign, name="综合组")
    d.panel.members.add(*d.experts)
    d.round = make_round(d.campaign, cases=d.cases, k=2, panels=[d.panel])
    return d


def test_confirming_notifies_each_expert_once_with_all_their_cases(board, office_client):
    a, b, c = board.experts
    for case in board.cases[:3]:
        assignment_services.assign_expert(
            review_round=board.round, case=case, expert=a, by=office_client.user
        )
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=b, by=office_client.user
    )
    url = reverse("manage:assign-confirm", kwargs={"pk": board.round.pk})

    response = office_client.post(url, follow=True)

    assert "已确认 4 项分配,并通知了相关专家。" in message_text(response)
    assert set(Assignment.objects.values_list("status", flat=True)) == {AssignmentStatus.CONFIRMED}
    assert not Assignment.objects.filter(confirmed_at__isnull=True).exists()
    sent = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert sorted(sent.values_list("recipient__display_name", flat=True)) == ["专家乙", "专家甲"]
    to_a = sent.get(recipient=a)
    for case in board.cases[:3]:
        assert case.title in to_a.body
    assert board.cases[3].title not in to_a.body
    assert "3 个案例" in to_a.subject
    assert shanghai(board.round.closes_at) in to_a.body  # the deadline
    assert to_a.link.endswith("/review/")
    to_b = sent.get(recipient=b)
    assert board.cases[0].title in to_b.body and board.cases[1].title not in to_b.body
    assert not sent.filter(recipient=c).exists()

    # Confirming again tells nobody anything new.
    office_client.post(url)
    assert Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED).count() == 2
    # The cases are now on the experts' desks.
    workspace = client_of(a).get(reverse("reviews:workspace")).content.decode()
    assert all(case.title in workspace for case in board.cases[:3])


def test_proposed_assignments_are_not_on_the_expert_desk(board):
    a = board.experts[0]
    assignment = assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    client = client_of(a)
    assert board.cases[0].title not in client.get(reverse("reviews:workspace")).content.decode()
    assert client.get(score_url(assignment)).status_code == 404


def test_k_reviewers_per_case_is_enforced(board, office_client):
    a, b, c = board.experts
    case = board.cases[0]
    assignment_services.assign_expert(review_round=board.round, case=case, expert=a, by=None)
    assignment_services.assign_expert(review_round=board.round, case=case, expert=b, by=None)

    with pytest.raises(InvalidTransition, match="该案例已有 2 名评审专家,达到每案人数。"):
        assignment_services.assign_expert(review_round=board.round, case=case, expert=c, by=None)
    response = office_client.post(
        reverse("manage:assign-add", kwargs={"pk": board.round.pk}),
        {"case": case.pk, "expert": c.pk},
        follow=True,
    )
    assert "该案例已有 2 名评审专家,达到每案人数。" in message_text(response)
    assert Assignment.objects.filter(case=case).count() == 2

    # A released assignment frees its place.
    assignment_services.confirm_assignments(review_round=board.round, by=None)
    assignment_services.declare_conflict(
        assignment=Assignment.objects.get(case=case, expert=a), by=a, reason="回避"
    )
    assert assignment_services.assign_expert(review_round=board.round, case=case, expert=c, by=None)


def test_same_expert_twice_on_a_case_is_refused(board):
    a = board.experts[0]
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    with pytest.raises(InvalidTransition, match="该专家已分配到这个案例。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[0], expert=a, by=None
        )
    assert Assignment.objects.count() == 1


def test_expert_maximum_load_is_enforced(board, office_client):
    a = board.experts[0]
    ExpertProfile.objects.filter(user=a).update(max_cases_per_round=2)
    a.refresh_from_db()
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[1], expert=a, by=None
    )

    with pytest.raises(InvalidTransition, match="专家甲 本轮已分配 2 件,达到其评审上限。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[2], expert=a, by=None
        )
    response = office_client.post(
        reverse("manage:assign-add", kwargs={"pk": board.round.pk}),
        {"case": board.cases[2].pk, "expert": a.pk},
        follow=True,
    )
    assert "专家甲 本轮已分配 2 件,达到其评审上限。" in message_text(response)
    assert Assignment.objects.filter(expert=a).count() == 2
    # The case's assign page shows the load against the limit.
    html = response.content.decode()
    assert re.search(r"<td>专家甲[^<]*</td>\s*<td>[^<]*</td>\s*<td>2 / 2</td>", html)
    # The limit is per round.
    final = make_round(board.campaign, cases=[board.cases[2]], name="终评")
    assert assignment_services.assign_expert(
        review_round=final, case=board.cases[2], expert=a, by=None
    )


def test_expert_outside_the_round_panels_is_refused(board):
    outsider = make_expert()
    with pytest.raises(InvalidTransition, match="该专家不在本轮的评审组中。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[0], expert=outsider, by=None
        )
    assert not Assignment.objects.exists()


def test_case_outside_the_round_is_refused(board):
    stray = accepted_case(board.campaign)
    with pytest.raises(InvalidTransition, match="该案例不在本轮评审范围内。"):
        assignment_services.assign_expert(
            review_round=board.round, case=stray, expert=board.experts[0], by=None
        )


def test_started_review_cannot_be_unassigned(board, office_client):
    a = board.experts[0]
    criteria = make_rubric(board.campaign)
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    assignment_services.confirm_assignments(review_round=board.round, by=None)
    assignment = Assignment.objects.get()
    review_of(assignment, criteria, ["10", "", ""], submit=False)
    response = office_client.post(
        reverse(
            "manage:assign-remove", kwargs={"pk": board.round.pk, "assignment_pk": assignment.pk}
        ),
        follow=True,
    )
    assert "该专家已开始评分,不能取消分配。" in message_text(response)
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# --- expert import ------------------------------------------------------------------------------

IMPORT_HEADER = ["name", "email", "phone", "affiliation", "city", "institution", "inside", "fields", "max_cases"]  # fmt: skip


def csv_upload(rows, name="experts.csv"):
    out = io.StringIO()
    csv.writer(out).writerows([IMPORT_HEADER, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def import_world(db):
    city = CityFactory(name="导入测试市")
    county = CountyFactory(name="导入测试县", parent=city)
    fields = [FieldFactory(name="营商环境"), FieldFactory(name="数字政府")]
    return {"city": city, "county": county, "fields": fields}


def test_expert_import_creates_accounts_and_profiles(import_world, office_client):
    rows = [
        [
            "钱专家",
            "Qian@Example.org",
            "13800138011",
            "导入测试县",
            "导入测试市",
            "",
            "是",
            "营商环境;数字政府",
            "12",
        ],
        ["孙专家", "sun@example.org", "", "", "", "上海交通大学", "否", "数字政府", ""],
    ]
    response = office_client.post(reverse("manage:expert-import"), {"file": csv_upload(rows)})
    assert response.status_code == 200
    preview = response.content.decode()
    assert "钱专家" in preview and "孙专家" in preview and "确认导入并发送邀请" in preview
    assert not User.objects.filter(role=Role.EXPERT).exists()  # nothing until confirmed

    response = office_client.post(
        reverse("manage:expert-import-apply"), {"token": response.context["token"]}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:experts")
    qian = User.objects.get(email="qian@example.org")
    assert (qian.role, qian.display_name, qian.phone) == (Role.EXPERT, "钱专家", "13800138011")
    assert not qian.has_usable_password()
    profile = qian.expert_profile
    assert profile.affiliation == import_world["county"]
    assert profile.inside_province is True
    assert profile.max_cases_per_round == 12
    assert sorted(profile.fields.values_list("name", flat=True)) == ["数字政府", "营商环境"]
    sun = User.objects.get(email="sun@example.org").expert_profile
    assert (sun.affiliation, sun.institution, sun.inside_province) == (None, "上海交通大学", False)
    assert sun.max_cases_per_round == 30
    assert list(sun.fields.values_list("name", flat=True)) == ["数字政府"]
    invited = Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITATION)
    assert sorted(invited.values_list("recipient__email", flat=True)) == [
        "qian@example.org",
        "sun@example.org",
    ]
    listing = office_client.get(reverse("manage:experts")).content.decode()
    assert "导入测试县" in listing and "上海交通大学" in listing


@pytest.mark.parametrize(
    "bad_row,error",
    [
        (
            ["李专家", "li@example.org", "", "不存在的单位", "", "", "", "", ""],
            "第 3 行:单位“不存在的单位”不存在或不唯一",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "否", "航天", ""],
            "第 3 行:领域“航天”不存在。",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "否", "", "0"],
            "第 3 行:max_cases 应为 1 到 1000 之间的整数。",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "也许", "", ""],
            "第 3 行:inside 列应填“是”或“否”。",
        ),
        (
            ["李专家", "not-an-email", "", "", "", "某大学", "", "", ""],
            "第 3 行:邮箱“not-an-email”格式不正确。",
        ),
        (
            ["李专家", "QIAN@example.org", "", "", "", "某大学", "", "", ""],
            "第 3 行:邮箱 qian@example.org 与第 2 行重复。",
        ),
    ],
)
def test_expert_import_with_a_bad_row_creates_nothing(import_world, office_client, bad_row, error):
    rows = [
        ["钱专家", "qian@example.org", "", "导入测试县", "导入测试市", "", "是", "营商环境", ""],
        bad_row,
    ]
    users, profiles = User.objects.count(), ExpertProfile.objects.count()

    response = office_client.post(reverse("manage:expert-import"), {"file": csv_upload(rows)})

    html = response.content.decode()
    assert "发现问题,未导入任何专家。" in html
    assert error in html
    assert "确认导入并发送邀请" not in html
    # Posting the apply step anyway (the token is in the session) still creates nothing.
    token = office_client.session["expert_import"]["token"]
    response = office_client.post(reverse("manage:expert-import-apply"), {"token": token})
    assert error in response.content.decode()
    assert (User.objects.count(), ExpertProfile.objects.count()) == (users, profiles)
    assert not Notification.objects.exists()


def test_expert_import_refuses_a_file_without_the_required_columns(import_world, office_client):
    upload = SimpleUploadedFile("experts.csv", "姓名,邮箱\n钱专家,qian@example.org\n".encode())
    response = office_client.post(reverse("manage:expert-import"), {"file": upload})
    assert response.status_code == 200
    assert "缺少列:name, email。" in response.content.decode()
    assert not User.objects.filter(role=Role.EXPERT).exists()


# --- progress ---------------------------------------------------------------------------------


def expert_row(html, name):
    """(done / assigned, drafts) of the expert's row on the progress page."""
    match = re.search(
        rf"<tr><td><a [^>]*>{re.escape(name)}</a></td><td>([^<]*)</td><td>([^<]*)</td>", html
    )
    assert match, f"no row for {name}"
    return match.group(1), match.group(2), match.end()


@pytest.fixture
def progress_round(db):
    """Three experts, three cases; totals 40 and 90 on one case, 70 and 80 on another."""
    d = Desk()
    d.campaign = reviewing_campaign()
    # Two criteria of 50 points, equal weights: the total is the sum of the two scores.
    d.criteria = make_rubric(d.campaign, [("创新性", "50", "1"), ("实效性", "50", "1")])
    d.cases = [
        accepted_case(d.campaign, title="分歧较大的案例"),
        accepted_case(d.campaign, title="意见一致的案例"),
        accepted_case(d.campaign, title="尚未评完的案例"),
    ]
    e1, e2, e3 = (make_expert(name=n) for n in ("赵专家", "钱专家", "孙专家"))
    d.round = make_round(d.campaign, cases=d.cases)
    a, b, c = d.cases
    review_of(confirmed(d.round, a, e1), d.criteria, ["20", "20"])  # 40
    review_of(confirmed(d.round, a, e2), d.criteria, ["45", "45"])  # 90
    review_of(confirmed(d.round, b, e1), d.criteria, ["35", "35"])  # 70
    review_of(confirmed(d.round, b, e3), d.criteria, ["40", "40"])  # 80
    review_of(confirmed(d.round, c, e2), d.criteria, ["10", ""], submit=False)  # a draft
    confirmed(d.round, c, e3)  # not started
    d.experts = (e1, e2, e3)
    return d


def test_progress_page_numbers(progress_round, office_client):
    d = progress_round
    response = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk}))
    assert response.status_code == 200
    html = response.content.decode()

    # 4 of 6 confirmed assignments submitted: int(100 × 4 / 6) = 66 %.
    assert "已提交 4 / 6(66%)" in html
    assert 'aria-valuenow="66"' in html
    # Per expert: done / assigned and drafts.
    assert expert_row(html, "赵专家")[:2] == ("2 / 2", "0")
    assert expert_row(html, "钱专家")[:2] == ("1 / 2", "1")
    assert expert_row(html, "孙专家")[:2] == ("1 / 2", "0")
    zhao_end = expert_row(html, "赵专家")[2]
    assert 'aria-valuenow="100"' in html[zhao_end : zhao_end + 300]
    qian_end = expert_row(html, "钱专家")[2]
    assert 'aria-valuenow="50"' in html[qian_end : qian_end + 300]

    # Totals 40 and 90: sample σ = √(2 × 25²) = 35.36 > 15, flagged; 70 and 80 (σ 7.07) are not.
    spread = html.split("评分分歧较大的案例", 1)[1].split("</ul>", 1)[0]
    assert "分歧较大的案例:标准差 35.4(40.0, 90.0)" in spread
    assert "意见一致的案例" not in spread
    assert "尚未评完的案例" not in spread
    # Nothing is overdue while the round is open.
    overdue = html.split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "暂无" in overdue


def test_progress_after_close_lists_overdue_reviews(progress_round, office_client):
    d = progress_round
    ReviewRound.objects.filter(pk=d.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(hours=1),
    )
    html = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk})).content
    overdue = html.decode().split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "钱专家 · 尚未评完的案例(有草稿)" in overdue
    assert "孙专家 · 尚未评完的案例</li>" in overdue
    assert "赵专家" not in overdue
