"""Who may open which page of the expert review (issue 5), and what experts may see.

Every new URL × {anonymous, locality, assigned expert, unassigned expert,
administrator}. An object the user may not see is a 404 (an unassigned expert
asking for a case page or the pledge of a round they have nothing in); a page
of another role is a 403; a POST-only page asked with GET is a 405. A refused
POST changes nothing at all.

Then the round's rules: other experts' scores only when the visibility rule
allows it, the submitting organisation never in a blind round, and case files
only for the cases assigned to the expert.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from reform_cases.models import Attachment, AttachmentDownload, AttachmentKind, Campaign
from reviews.assignment import services as assignment_services
from reviews.models import (
    Assignment,
    BundleStatus,
    CommitteeBundle,
    Conflict,
    Criterion,
    ExpertProfile,
    Panel,
    Pledge,
    RankingEntry,
    Review,
    ReviewEvent,
    ReviewRound,
    ReviewStatus,
    RoundEvent,
    TierOverride,
    Visibility,
)
from reviews.rounds import services as rounds_services
from reviews.scoring import services as scoring_services
from tests.factories import (
    PDF,
    CountyFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    ranking_entry,
    review_of,
    reviewing_campaign,
    score_data,
)
from tests.helpers import client_of, score_url, shanghai

LOGIN = "login"  # 302 to /accounts/login/?next=<the path>
REDIRECT = "redirect"  # 302 elsewhere: the action was handled
ROLES = ("anonymous", "locality", "assigned_expert", "unassigned_expert", "administrator")

# Placeholders resolved against the `world` fixture.
CAMPAIGN = "campaign"
ROUND = "round"
ASSIGNMENT = "assignment"  # the assigned expert's confirmed assignment
PROPOSED = "proposed"  # a proposed assignment of a third expert, removable
EXPERT = "expert"  # the unassigned expert's account
PANEL = "panel"
CASE = "case"  # the assigned case
ENTRY = "entry"  # the assigned case's ranking entry
FILE = "file"  # an attachment of the assigned case
OTHER_FILE = "other-file"  # an attachment of another case of the same round
BUNDLE = "bundle"  # a ready committee bundle of the round (issue 19)


def _row(name, kwargs, answers, **extra):
    assert len(answers) == len(ROLES)
    return [
        pytest.param(name, kwargs, role, expected, extra, id=f"{name}-{role}")
        for role, expected in zip(ROLES, answers, strict=True)
    ]


# GET of every URL.
#                anonymous  locality  assigned  unassigned  administrator
WORKSPACE =      [LOGIN,     403,      200,      200,        403]  # fmt: skip
EXPERT_ROUND =   [LOGIN,     403,      200,      404,        403]  # fmt: skip
EXPERT_POST =    [LOGIN,     403,      405,      405,        403]  # fmt: skip
MANAGE_PAGE =    [LOGIN,     403,      403,      403,        200]  # fmt: skip
MANAGE_POST =    [LOGIN,     403,      403,      403,        405]  # fmt: skip
MANAGE_ACTION_GET = [LOGIN,   403,      403,      403,        REDIRECT]  # fmt: skip
# The locality owns the assigned case, so it may download its own file.
CASE_FILE =      [LOGIN,     200,      200,      404,        200]  # fmt: skip
OTHER_CASE_FILE = [LOGIN,    404,      404,      404,        200]  # fmt: skip

GET_MATRIX = [
    *_row("reviews:workspace", {}, WORKSPACE),
    *_row("reviews:pledge", {"round_pk": ROUND}, EXPERT_ROUND),
    *_row("reviews:score", {"pk": ASSIGNMENT}, EXPERT_ROUND),
    *_row("reviews:conflict", {"pk": ASSIGNMENT}, EXPERT_POST),
    # The expert's watermarked 申报书 (tests/reviews/documents/test_traceable_copies.py).
    *_row("reviews:application-form", {"pk": ASSIGNMENT}, EXPERT_ROUND),
    *_row("manage:experts", {}, MANAGE_PAGE),
    *_row("manage:expert-import", {}, MANAGE_PAGE),
    *_row("manage:expert-import-apply", {}, MANAGE_POST),
    *_row("manage:expert-edit", {"pk": EXPERT}, MANAGE_PAGE),
    *_row("manage:watermark-lookup", {}, MANAGE_PAGE),
    *_row("manage:panels", {"pk": CAMPAIGN}, MANAGE_PAGE),
    *_row("manage:panel-edit", {"pk": PANEL}, MANAGE_PAGE),
    *_row("manage:rubric", {"pk": CAMPAIGN}, MANAGE_PAGE),
    *_row("manage:rounds", {"pk": CAMPAIGN}, MANAGE_PAGE),
    *_row("manage:round-edit", {"pk": ROUND}, MANAGE_PAGE),
    *_row("manage:round-add-cases", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:assign", {"pk": ROUND}, MANAGE_PAGE),
    *_row("manage:assign-case", {"pk": ROUND, "case_pk": CASE}, MANAGE_PAGE),
    *_row("manage:assign-add", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:assign-remove", {"pk": ROUND, "assignment_pk": PROPOSED}, MANAGE_POST),
    *_row("manage:assign-confirm", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:assign-auto", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:assign-fill-gap", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:assign-swap", {"pk": ROUND, "assignment_pk": PROPOSED}, MANAGE_POST),
    *_row("manage:conflict-record", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:progress", {"pk": ROUND}, MANAGE_PAGE),
    *_row("manage:progress-expert", {"pk": ROUND, "expert_pk": EXPERT}, MANAGE_PAGE),
    *_row("manage:review-reopen", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:ranking", {"pk": ROUND}, MANAGE_PAGE),
    *_row("manage:ranking-compute", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:ranking-tie-break", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:ranking-override", {"pk": ROUND, "entry_pk": ENTRY}, MANAGE_POST),
    *_row("manage:ranking-start", {"pk": ROUND}, MANAGE_POST),
    # The lock's confirmation page; the campaign is in review, so it sends the office back to
    # the ranking page with the reason (200: tests/reviews/ranking/test_ranking_page_steps.py).
    *_row("manage:ranking-lock", {"pk": ROUND}, MANAGE_ACTION_GET),
    *_row("manage:ranking-reopen", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:ranking-shortlist", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:ranking-notice", {"pk": ROUND}, MANAGE_PAGE),  # GET: its confirmation
    *_row("manage:ranking-export", {"pk": ROUND}, MANAGE_PAGE),
    *_row("manage:bundle-request", {"pk": ROUND}, MANAGE_POST),
    *_row("manage:bundle-download", {"pk": BUNDLE}, MANAGE_PAGE),
    *_row("cases:attachment", {"attachment_pk": FILE}, CASE_FILE),
    *_row("cases:attachment", {"attachment_pk": OTHER_FILE}, OTHER_CASE_FILE),
]

# POST of every URL that changes something.
#                anonymous  locality  assigned   unassigned  administrator
EXPERT_ACTION =  [LOGIN,     403,      REDIRECT,  404,        403]  # fmt: skip
MANAGE_ACTION =  [LOGIN,     403,      403,       403,        REDIRECT]  # fmt: skip
MANAGE_FORM =    [LOGIN,     403,      403,       403,        200]  # fmt: skip


def _future(days):
    return shanghai(timezone.now() + timedelta(days=days), "%Y-%m-%dT%H:%M")


POST_MATRIX = [
    # name, kwargs, answers, data (placeholders resolved), whether the allowed POST changes the DB
    *_row(
        "reviews:pledge", {"round_pk": ROUND}, EXPERT_ACTION, data={"agree": "on"}, changes=False
    ),
    *_row("reviews:score", {"pk": ASSIGNMENT}, EXPERT_ACTION, data="score", changes=True),
    *_row(
        "reviews:conflict",
        {"pk": ASSIGNMENT},
        EXPERT_ACTION,
        data={"reason": "曾参与论证"},
        changes=True,
    ),
    *_row("manage:expert-import", {}, MANAGE_FORM, data="import", changes=False),
    *_row("manage:expert-import-apply", {}, MANAGE_ACTION, data={"token": "x"}, changes=False),
    *_row(
        "manage:expert-edit",
        {"pk": EXPERT},
        MANAGE_ACTION,
        data={"institution": "某研究院", "inside_province": "", "max_cases_per_round": "9"},
        changes=True,
    ),
    *_row(
        "manage:panels", {"pk": CAMPAIGN}, MANAGE_ACTION, data={"name": "新评审组"}, changes=True
    ),
    *_row(
        "manage:panel-edit",
        {"pk": PANEL},
        MANAGE_ACTION,
        data={"name": "改名的评审组"},
        changes=True,
    ),
    # The world has a submitted score, so the rubric is locked: "defaults" is a no-op.
    *_row("manage:rubric", {"pk": CAMPAIGN}, MANAGE_ACTION, data={"defaults": "1"}, changes=False),
    *_row("manage:rounds", {"pk": CAMPAIGN}, MANAGE_ACTION, data="round", changes=True),
    *_row("manage:round-edit", {"pk": ROUND}, MANAGE_ACTION, data="round-edit", changes=True),
    *_row("manage:round-add-cases", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=True),
    *_row("manage:assign-add", {"pk": ROUND}, MANAGE_ACTION, data="assign", changes=True),
    *_row(
        "manage:assign-remove",
        {"pk": ROUND, "assignment_pk": PROPOSED},
        MANAGE_ACTION,
        data={},
        changes=True,
    ),
    *_row("manage:assign-confirm", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=True),
    *_row("manage:conflict-record", {"pk": ROUND}, MANAGE_ACTION, data="conflict", changes=True),
    *_row("manage:review-reopen", {"pk": ROUND}, MANAGE_ACTION, data="reopen", changes=True),
    # The other case has one proposed reviewer of k = 3: the proposal and gap filling add some.
    *_row("manage:assign-auto", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=True),
    *_row("manage:assign-fill-gap", {"pk": ROUND}, MANAGE_ACTION, data="fill-gap", changes=True),
    *_row(
        "manage:assign-swap",
        {"pk": ROUND, "assignment_pk": PROPOSED},
        MANAGE_ACTION,
        data="swap",
        changes=True,
    ),
    # The campaign is in review: the ranking may be computed, not yet changed, locked, reopened
    # (nothing is locked) or published; those are refused with a message on the ranking page.
    *_row("manage:ranking-compute", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=True),
    *_row(
        "manage:ranking-tie-break", {"pk": ROUND}, MANAGE_ACTION, data={"apply": "1"}, changes=True
    ),
    *_row(
        "manage:ranking-override",
        {"pk": ROUND, "entry_pk": ENTRY},
        MANAGE_ACTION,
        data={"tier": "", "reason": "评审组合议"},
        changes=False,
    ),
    # The campaign is in review: the ranking page moves it to ranking (the status form's path).
    *_row("manage:ranking-start", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=True),
    *_row("manage:ranking-lock", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=False),
    *_row(
        "manage:ranking-reopen",
        {"pk": ROUND},
        MANAGE_ACTION,
        data={"reason": "复核第二名的评分"},
        changes=False,
    ),
    *_row("manage:ranking-shortlist", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=False),
    *_row("manage:ranking-notice", {"pk": ROUND}, MANAGE_ACTION, data={}, changes=False),
    # Queued (a round event); the build runs after the commit, which these tests never reach.
    *_row("manage:bundle-request", {"pk": ROUND}, MANAGE_ACTION, data={"top": "1"}, changes=True),
]


class World:
    """A round with an assigned, an unassigned and a third expert; one client per role."""


@pytest.fixture
def world(db, settings, tmp_path, owning_organisation, make_user):
    settings.MEDIA_ROOT = tmp_path
    w = World()
    w.campaign = reviewing_campaign()
    w.criteria = rounds_services.ensure_default_rubric(campaign=w.campaign, by=None)
    w.case = accepted_case_for_review(w.campaign, owning_organisation, title="本单位的案例")
    w.other_case = accepted_case_for_review(w.campaign, title="另一个案例")
    w.file = _attach(w.case, "本单位申报书.pdf")
    w.other_file = _attach(w.other_case, "另一个申报书.pdf")
    accepted_case_for_review(w.campaign, title="后来受理的案例")  # not in the round yet
    w.users = {
        "locality": make_user("locality"),
        "assigned_expert": make_expert(name="已分配专家"),
        "unassigned_expert": make_expert(name="未分配专家"),
        "administrator": make_user("administrator"),
    }
    w.third = make_expert(name="第三位专家")
    w.fourth = make_expert(name="第四位专家")
    w.panel = Panel.objects.create(campaign=w.campaign, name="综合组")
    w.round = make_open_round(w.campaign, cases=[w.case, w.other_case], k=3)
    w.assignment = confirmed(w.round, w.case, w.users["assigned_expert"])
    scoring_services.accept_pledge(review_round=w.round, expert=w.users["assigned_expert"])
    # The third expert has submitted on the same case (for reopening).
    w.submitted = review_of(
        confirmed(w.round, w.case, w.third), w.criteria, ["20", "20", "15", "12", "12"]
    )
    # The fourth expert is proposed for the other case (for removing).
    w.proposed = assignment_services.assign_expert(
        review_round=w.round, case=w.other_case, expert=w.fourth, by=None
    )
    w.entry = ranking_entry(w.round, w.case, None)
    w.bundle = CommitteeBundle(round=w.round, status=BundleStatus.READY, case_count=1, size=4)
    w.bundle.file.save("bundle.zip", ContentFile(b"PK\x05\x06"), save=False)
    w.bundle.save()
    w.ids = {
        CAMPAIGN: w.campaign.pk,
        ROUND: w.round.pk,
        ASSIGNMENT: w.assignment.pk,
        PROPOSED: w.proposed.pk,
        EXPERT: w.users["unassigned_expert"].pk,
        PANEL: w.panel.pk,
        CASE: w.case.pk,
        ENTRY: w.entry.pk,
        FILE: w.file.pk,
        OTHER_FILE: w.other_file.pk,
        BUNDLE: w.bundle.pk,
    }
    return w


def _attach(case, name):
    attachment = Attachment(
        case=case,
        kind=AttachmentKind.APPLICATION_FORM,
        original_name=name,
        content_type="application/pdf",
        size=len(PDF),
    )
    attachment.file.save(name, ContentFile(PDF), save=False)
    attachment.save()
    return attachment


def _client(world, role):
    if role == "anonymous":
        return Client()
    return client_of(world.users[role])


def _url(world, name, kwargs):
    return reverse(name, kwargs={k: world.ids.get(v, v) for k, v in kwargs.items()})


def fingerprint():
    """Everything the review pages can change, as comparable values."""
    return {
        "assignments": sorted(Assignment.objects.values_list("pk", "status")),
        "conflicts": sorted(Conflict.objects.values_list("expert_id", "case_id", "reason")),
        "panels": sorted(Panel.objects.values_list("pk", "name")),
        "panel members": sorted(Panel.members.through.objects.values_list("panel_id", "user_id")),
        "criteria": sorted(Criterion.objects.values_list("pk", "name", "max_score", "weight")),
        "rounds": sorted(
            ReviewRound.objects.values_list("pk", "name", "opens_at", "closes_at", "blind")
        ),
        "round cases": sorted(ReviewRound.cases.through.objects.values_list("pk", "case_id")),
        "reviews": sorted(Review.objects.values_list("pk", "status", "total")),
        "events": sorted(ReviewEvent.objects.values_list("pk", "kind")),
        "pledges": sorted(Pledge.objects.values_list("round_id", "expert_id")),
        "profiles": sorted(
            ExpertProfile.objects.values_list("pk", "institution", "max_cases_per_round")
        ),
        "users": User.objects.count(),
        "notifications": Notification.objects.count(),
        "ranking": sorted(
            RankingEntry.objects.values_list("pk", "case_id", "n_reviews", "rank", "final_tier_id")
        ),
        "overrides": TierOverride.objects.count(),
        "round events": sorted(RoundEvent.objects.values_list("pk", "kind")),
        "campaigns": sorted(Campaign.objects.values_list("pk", "status")),
        "bundles": sorted(CommitteeBundle.objects.values_list("pk", "status")),
    }


def _post_data(world, data):
    if isinstance(data, dict):
        return data
    if data == "score":
        return score_data(world.criteria, ["20", "20", "15", "10", "10"])
    if data == "import":
        text = "name,email\n导入专家,import@example.org\n"
        return {"file": SimpleUploadedFile("experts.csv", text.encode())}
    if data == "round":
        return {
            "name": "终评",
            "order": "2",
            "reviewers_per_case": "5",
            "opens_at": _future(20),
            "closes_at": _future(30),
            "visibility": Visibility.NEVER,
            "reminder_days": "3",
        }
    if data == "round-edit":
        return {
            "name": "初评(改)",
            "order": "1",
            "reviewers_per_case": "3",
            "opens_at": _future(-1),
            "closes_at": _future(20),
            "visibility": Visibility.AFTER_CLOSE,
            "blind": "on",
            "reminder_days": "3",
        }
    if data == "assign":
        return {"case": world.other_case.pk, "expert": world.users["unassigned_expert"].pk}
    if data == "conflict":
        return {"case": world.case.pk, "expert": world.third.pk, "reason": "亲属在申报单位"}
    if data == "reopen":
        return {"review": world.submitted.pk, "reason": "录入有误"}
    if data == "fill-gap":
        return {"case": world.other_case.pk}
    if data == "swap":
        return {"expert": world.users["unassigned_expert"].pk}
    raise ValueError(data)


def _check(response, expected, url):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    elif expected == REDIRECT:
        assert response.status_code == 302, response.status_code
        assert not response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected, (response.status_code, expected)


@pytest.mark.parametrize("name,kwargs,role,expected,extra", GET_MATRIX)
def test_get(world, name, kwargs, role, expected, extra):
    url = _url(world, name, kwargs)
    before = fingerprint()
    response = _client(world, role).get(url)
    _check(response, expected, url)
    if name != "manage:expert-edit":  # the edit page creates a missing profile; it has one
        assert fingerprint() == before


@pytest.mark.parametrize("name,kwargs,role,expected,extra", POST_MATRIX)
def test_post(world, name, kwargs, role, expected, extra):
    url = _url(world, name, kwargs)
    data = _post_data(world, extra["data"])
    before = fingerprint()
    response = _client(world, role).post(url, data)
    _check(response, expected, url)
    after = fingerprint()
    if expected in (LOGIN, 403, 404, 405):
        assert after == before, "a refused request changed something"
    elif extra["changes"]:
        assert after != before, "the allowed request changed nothing"


# The review's views; a new one under /review/ or /manage/ must get its rows.
REVIEW_VIEW_MODULES = {
    "reviews.views.expert",
    "reviews.views.office.panels",
    "reviews.views.office.rounds",
    "reviews.views.office.assignment",
    "reviews.views.office.progress",
    "reviews.views.office.ranking",
    "reviews.views.office.bundles",
    "reviews.views.office.watermarks",
}


def test_every_url_of_the_review_is_in_the_matrix():
    """Every URL of the review's views has a GET row, and a POST-only one a POST row too."""
    from config.urls import urlpatterns

    get_rows = {param.values[0] for param in GET_MATRIX}
    post_only = {
        param.values[0]
        for param in GET_MATRIX
        if param.values[2] == "administrator" and param.values[3] == 405
    }
    post_rows = {param.values[0] for param in POST_MATRIX}
    missing, checked = [], 0
    for pattern in urlpatterns:
        namespace = getattr(pattern, "namespace", None)
        if namespace not in ("manage", "reviews"):
            continue
        for p in pattern.url_patterns:
            view = p.callback
            module = getattr(getattr(view, "view_class", view), "__module__", "")
            if module not in REVIEW_VIEW_MODULES:
                continue
            checked += 1
            name = f"{namespace}:{p.name}"
            if name not in get_rows:
                missing.append(f"{name}: no GET row")
            elif name in post_only and name not in post_rows:
                missing.append(f"{name}: POST only, no POST row")
    assert checked >= 30  # the filter did not leave everything out
    assert not missing, missing


def test_posting_without_login_leaves_the_review_alone(world):
    # The strongest refusal check: every POST of the matrix, anonymous, in a row.
    before = fingerprint()
    for param in POST_MATRIX:
        name, kwargs, role, _expected, extra = param.values
        if role == "anonymous":
            _client(world, role).post(_url(world, name, kwargs), _post_data(world, extra["data"]))
    assert fingerprint() == before


def test_unassigned_expert_gets_404_for_the_case_and_sees_nothing_of_it(world):
    client = client_of(world.users["unassigned_expert"])
    workspace = client.get(reverse("reviews:workspace")).content.decode()
    assert "本单位的案例" not in workspace
    assert "目前没有分配给您的评审任务。" in workspace
    assert client.get(score_url(world.assignment)).status_code == 404
    # Nor through another expert's released or proposed assignment.
    assert client.get(score_url(world.proposed)).status_code == 404


def test_released_assignment_closes_the_case_page_and_its_files(world):
    expert = world.users["assigned_expert"]
    client = client_of(expert)
    file_url = reverse("cases:attachment", kwargs={"attachment_pk": world.file.pk})
    assert client.get(file_url).status_code == 200
    assignment_services.declare_conflict(
        assignment=world.assignment, by=expert, reason="亲属在申报单位"
    )
    assert client.get(score_url(world.assignment)).status_code == 404
    assert client.get(file_url).status_code == 404


def test_expert_downloads_files_of_assigned_cases_only(world):
    expert = world.users["assigned_expert"]
    client = client_of(expert)
    response = client.get(reverse("cases:attachment", kwargs={"attachment_pk": world.file.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment;" in response["Content-Disposition"]
    # The download of an unpublished case is logged.
    assert AttachmentDownload.objects.filter(attachment=world.file, user=expert).count() == 1
    # The other case of the round is not theirs.
    other = reverse("cases:attachment", kwargs={"attachment_pk": world.other_file.pk})
    assert client.get(other).status_code == 404
    # A proposed (not yet confirmed) assignment opens nothing either.
    fourth = client_of(world.fourth)
    assert fourth.get(other).status_code == 404
    assignment_services.confirm_assignments(review_round=world.round, by=None)
    assert fourth.get(other).status_code == 200


def test_score_page_lists_the_case_files(world):
    html = client_of(world.users["assigned_expert"]).get(score_url(world.assignment)).content
    html = html.decode()
    assert "本单位申报书.pdf" in html
    assert reverse("cases:attachment", kwargs={"attachment_pk": world.file.pk}) in html
    assert "另一个申报书.pdf" not in html


# --- other experts' scores --------------------------------------------------------------------

OTHERS_HEADING = "其他专家的评分"


class Pair:
    """Two experts on one case; the other expert has submitted a total of 61.33."""


@pytest.fixture
def pair(db):
    p = Pair()
    p.campaign = reviewing_campaign()
    p.criteria = rounds_services.ensure_default_rubric(campaign=p.campaign, by=None)
    p.case = accepted_case_for_review(p.campaign, title="可见性测试案例")
    p.me = make_expert(name="本人")
    p.other = make_expert(name="另一位专家")

    def setup(visibility):
        p.round = make_open_round(p.campaign, cases=[p.case], visibility=visibility)
        p.mine = confirmed(p.round, p.case, p.me)
        scoring_services.accept_pledge(review_round=p.round, expert=p.me)
        # 0.96 × (15 + 15) + 12 + 16/15 × (10 + 10) = 28.8 + 12 + 21.333… = 62.133… → 62.13
        review_of(confirmed(p.round, p.case, p.other), p.criteria, ["15", "15", "12", "10", "10"])
        p.client = client_of(p.me)
        return p

    p.setup = setup
    return p


OTHER_TOTAL = "62.13"


def _shows_others(p):
    html = p.client.get(score_url(p.mine)).content.decode()
    shown = OTHERS_HEADING in html
    assert shown == (OTHER_TOTAL in html), "heading and total must come together"
    return shown


def _submit_mine(p):
    response = p.client.post(
        score_url(p.mine), score_data(p.criteria, ["20", "20", "16", "12", "12"], submit=True)
    )
    assert response.status_code == 302
    assert Review.objects.get(assignment=p.mine).status == ReviewStatus.SUBMITTED


def _close(p):
    ReviewRound.objects.filter(pk=p.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(seconds=1),
    )


def test_visibility_never(pair):
    p = pair.setup(Visibility.NEVER)
    assert not _shows_others(p)
    _submit_mine(p)
    assert not _shows_others(p)
    _close(p)
    assert not _shows_others(p)


def test_visibility_after_own_submission(pair):
    p = pair.setup(Visibility.AFTER_OWN)
    assert not _shows_others(p)
    # A draft is not a submission.
    p.client.post(score_url(p.mine), score_data(p.criteria, ["20", "", "", "", ""]))
    assert not _shows_others(p)
    _submit_mine(p)
    assert _shows_others(p)


def test_visibility_after_close(pair):
    p = pair.setup(Visibility.AFTER_CLOSE)
    assert not _shows_others(p)
    # Submitting one's own does not open it early.
    _submit_mine(p)
    assert not _shows_others(p)
    _close(p)
    assert _shows_others(p)


def test_visibility_after_close_without_own_submission(pair):
    p = pair.setup(Visibility.AFTER_CLOSE)
    assert not _shows_others(p)
    _close(p)
    assert _shows_others(p)


def test_other_experts_drafts_are_never_shown(pair):
    p = pair.setup(Visibility.AFTER_OWN)
    third = make_expert(name="第三位")
    # 0.96 × 50 + 20 + 16/15 × 30 = 100 → a draft has no total, but its scores must not show.
    review_of(
        confirmed(p.round, p.case, third), p.criteria, ["25", "25", "20", "15", "15"], submit=False
    )
    _submit_mine(p)
    html = p.client.get(score_url(p.mine)).content.decode()
    others = html.split(OTHERS_HEADING, 1)[1]
    assert others.count("<li>") == 1  # only the other expert's submitted total
    assert "专家 1:62.13" in others
    # Names of the other experts are not shown.
    assert "另一位专家" not in html and "第三位" not in html


# --- blind rounds --------------------------------------------------------------------------------


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_blind_round_hides_the_submitting_organisation(db, blind):
    campaign = reviewing_campaign()
    rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    organisation = CountyFactory(name="匿名测试县")
    partner = CountyFactory(name="匿名合作县")
    case = accepted_case_for_review(campaign, organisation, co=[partner], title="匿名评审测试案例")
    round = make_open_round(campaign, cases=[case], blind=blind)
    expert = make_expert()
    assignment = confirmed(round, case, expert)
    scoring_services.accept_pledge(review_round=round, expert=expert)
    client = client_of(expert)

    html = client.get(score_url(assignment)).content.decode()
    workspace = client.get(reverse("reviews:workspace")).content.decode()

    assert "匿名评审测试案例" in html and "匿名评审测试案例" in workspace
    if blind:
        assert "匿名测试县" not in html
        assert "匿名合作县" not in html
        assert "申报单位" not in html
        assert "匿名测试县" not in workspace
        assert "匿名评审" in html  # the expert is told the round is blind
    else:
        assert "匿名测试县" in html
        assert "匿名合作县" in html
