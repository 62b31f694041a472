"""Who may open which page of the submission workflow (issue 4).

Every URL of the locality's pages and of the formal check × every role. An
object the user may not see is a 404 (never a 403 that confirms it exists); a
page of another role is a 403; a POST-only page asked with GET is a 405.
"""

import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from reform_cases import access
from reform_cases.models import (
    Attachment,
    AttachmentDownload,
    AttachmentKind,
    Case,
    CaseEvent,
    CaseOutcome,
    CaseStatus,
)
from tests.factories import (
    PDF,
    CampaignFactory,
    CaseFactory,
    attach,
    draft_case,
    open_campaign,
    pdf,
)

LOGIN = "login"  # 302 to /accounts/login/?next=<the path>
REDIRECT = "redirect"  # 302 somewhere else: the action was handled
ROLES = (
    "anonymous",
    "locality",
    "other_locality",
    "assigned_expert",
    "other_expert",
    "administrator",
)

# Placeholders resolved against the `world` fixture.
OWN = "own-case"
OWN_ATT = "own-attachment"
CAMPAIGN = "campaign"


def _row(name, kwargs, answers):
    """answers: one expected answer per role, in ROLES order."""
    assert len(answers) == len(ROLES)
    return [(name, kwargs, role, expected) for role, expected in zip(ROLES, answers, strict=True)]


# GET of every URL of the issue.
#              anonymous  locality  other_loc  assigned  other_exp  administrator
LOCALITY_PAGE = [LOGIN, 200, 200, 403, 403, 403]
OWN_PAGE = [LOGIN, 200, 404, 403, 403, 403]
POST_ONLY = [LOGIN, 405, 405, 403, 403, 403]
MANAGE_PAGE = [LOGIN, 403, 403, 403, 403, 200]
MANAGE_POST_ONLY = [LOGIN, 403, 403, 403, 403, 405]
FILE = [LOGIN, 200, 404, 200, 404, 200]
# The autosave endpoint answers fetch in JSON, so never with the log-in page: 401 instead.
JSON_POST_ONLY = [401, 405, 405, 403, 403, 403]

GET_MATRIX = [
    *_row("cases:mine", {}, LOCALITY_PAGE),
    *_row("cases:new", {}, LOCALITY_PAGE),
    *_row("cases:mine-detail", {"pk": OWN}, OWN_PAGE),
    *_row("cases:edit", {"pk": OWN}, OWN_PAGE),
    # The 申报书 (issue 19): the unit's own case; the office's from the formal check.
    *_row("cases:application-form", {"pk": OWN}, OWN_PAGE),
    *_row("manage:case-application-form", {"pk": OWN}, MANAGE_PAGE),
    *_row("cases:autosave", {"pk": OWN}, JSON_POST_ONLY),
    *_row("cases:submit", {"pk": OWN}, POST_ONLY),
    *_row("cases:withdraw", {"pk": OWN}, POST_ONLY),
    *_row("cases:attachment-add", {"pk": OWN}, POST_ONLY),
    *_row("cases:attachment-remove", {"pk": OWN, "attachment_pk": OWN_ATT}, POST_ONLY),
    *_row("cases:attachment", {"attachment_pk": OWN_ATT}, FILE),
    *_row("manage:submissions", {"pk": CAMPAIGN}, MANAGE_PAGE),
    *_row("manage:submissions-export", {"pk": CAMPAIGN}, MANAGE_PAGE),
    *_row("manage:submissions-bulk", {"pk": CAMPAIGN}, MANAGE_POST_ONLY),
    *_row("manage:case-detail", {"pk": OWN}, MANAGE_PAGE),
    *_row("manage:case-accept", {"pk": OWN}, MANAGE_POST_ONLY),
    *_row("manage:case-return", {"pk": OWN}, MANAGE_POST_ONLY),
    *_row("manage:case-ineligible", {"pk": OWN}, MANAGE_POST_ONLY),
    *_row("manage:attachment-visibility", {"pk": OWN, "attachment_pk": OWN_ATT}, MANAGE_POST_ONLY),
]

# POST of every URL that changes something.
OWN_ACTION = [LOGIN, REDIRECT, 404, 403, 403, 403]
NEW_ACTION = [LOGIN, REDIRECT, REDIRECT, 403, 403, 403]  # each locality drafts its own
MANAGE_ACTION = [LOGIN, 403, 403, 403, 403, REDIRECT]
JSON_ACTION = [401, 200, 404, 403, 403, 403]  # 200: saved, and said so in JSON

POST_MATRIX = [
    *_row("cases:new", {}, NEW_ACTION),
    *_row("cases:edit", {"pk": OWN}, OWN_ACTION),
    *_row("cases:autosave", {"pk": OWN}, JSON_ACTION),
    *_row("cases:submit", {"pk": OWN}, OWN_ACTION),
    *_row("cases:withdraw", {"pk": OWN}, OWN_ACTION),
    *_row("cases:attachment-add", {"pk": OWN}, OWN_ACTION),
    *_row("cases:attachment-remove", {"pk": OWN, "attachment_pk": OWN_ATT}, OWN_ACTION),
    *_row("manage:submissions-bulk", {"pk": CAMPAIGN}, MANAGE_ACTION),
    *_row("manage:case-accept", {"pk": OWN}, MANAGE_ACTION),
    *_row("manage:case-return", {"pk": OWN}, MANAGE_ACTION),
    *_row("manage:case-ineligible", {"pk": OWN}, MANAGE_ACTION),
    *_row("manage:attachment-visibility", {"pk": OWN, "attachment_pk": OWN_ATT}, MANAGE_ACTION),
]


class World:
    """Two organisations' drafts in an open campaign, a public case, and one client per role."""


@pytest.fixture
def world(db, settings, tmp_path, monkeypatch, owning_organisation, make_user):
    settings.MEDIA_ROOT = tmp_path
    w = World()
    w.campaign = open_campaign()
    users = {
        "locality": make_user("locality"),
        "other_locality": make_user("other_locality"),
        "assigned_expert": make_user("expert"),
        "other_expert": make_user("expert"),
        "administrator": make_user("administrator"),
    }
    w.users = users
    w.own_case = draft_case(w.campaign, owning_organisation, title="本单位的案例")
    w.own_att = attach(w.own_case, users["locality"])
    w.other_case = draft_case(
        w.campaign, users["other_locality"].organisation, title="其他单位的案例"
    )
    w.other_att = attach(w.other_case, users["other_locality"], name="其他单位申报书.pdf")
    w.ids = {OWN: w.own_case.pk, OWN_ATT: w.own_att.pk, CAMPAIGN: w.campaign.pk}

    # Assignments belong to `reviews`; stand in for its rule: one expert, one case.
    assigned = users["assigned_expert"]
    own_pk = w.own_case.pk

    def assigned_rule(user):
        return [own_pk] if user.pk == assigned.pk else []

    monkeypatch.setattr(access, "_expert_rules", [assigned_rule])

    def client(role):
        c = Client()
        if role != "anonymous":
            c.force_login(users[role])
        return c

    w.client = client
    return w


def _url(world, name, kwargs):
    return reverse(name, kwargs={k: world.ids.get(v, v) for k, v in kwargs.items()})


def _check(response, expected, url):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.url == f"{reverse('accounts:login')}?next={url}"
    elif expected == REDIRECT:
        assert response.status_code == 302, response.status_code
        assert not response.url.startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected, response.status_code


def _state(world):
    """What a refused request must leave alone."""
    return (
        list(Case.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Attachment.objects.order_by("pk").values_list("pk", "hidden_from_experts")),
        CaseEvent.objects.count(),
    )


@pytest.mark.parametrize("name,kwargs,role,expected", GET_MATRIX)
def test_get(world, name, kwargs, role, expected):
    url = _url(world, name, kwargs)
    response = world.client(role).get(url)
    _check(response, expected, url)
    if response.status_code == 200 and name == "cases:attachment":
        assert b"".join(response.streaming_content) == PDF


def _post_data(world, name):
    if name == "cases:new":
        return {"title": "新案例的标题", "summary": "新写的", "form_token": uuid.uuid4()}
    if name == "cases:edit":
        return {"title": "改过的标题", "summary": "改过", "edit_version": 1}
    if name == "cases:autosave":  # the title kept: a saved autosave leaves `_state` alone
        return {"title": "本单位的案例", "summary": "自动保存的", "edit_version": 1}
    if name == "cases:attachment-add":
        return {"kind": AttachmentKind.SUPPORTING, "file": pdf("佐证.pdf")}
    if name == "manage:submissions-bulk":
        return {"action": "accept", "cases": [world.own_case.pk]}
    if name in ("manage:case-return", "manage:case-ineligible", "cases:withdraw"):
        return {"reason": "理由"}
    if name == "manage:attachment-visibility":
        return {"hidden": "1"}
    return {}


@pytest.mark.parametrize("name,kwargs,role,expected", POST_MATRIX)
def test_post(world, name, kwargs, role, expected):
    url = _url(world, name, kwargs)
    before = _state(world)
    response = world.client(role).post(url, _post_data(world, name))
    _check(response, expected, url)
    if name == "cases:autosave":
        assert response["Content-Type"] == "application/json"
        saved = Case.objects.get(pk=world.own_case.pk).summary
        assert (saved == "自动保存的") == (expected == 200)
    if expected != REDIRECT:
        assert _state(world) == before, "a refused request changed something"


# Guessing ids -------------------------------------------------------------------------

MISSING = 987654


@pytest.mark.parametrize(
    "method,name",
    [
        ("get", "cases:mine-detail"),
        ("get", "cases:edit"),
        ("get", "cases:application-form"),
        ("post", "cases:edit"),
        ("post", "cases:autosave"),
        ("post", "cases:submit"),
        ("post", "cases:withdraw"),
        ("post", "cases:attachment-add"),
    ],
)
def test_another_organisations_case_id_reveals_nothing(world, method, name):
    client = world.client("locality")
    other = client.generic(method.upper(), reverse(name, kwargs={"pk": world.other_case.pk}))
    missing = client.generic(method.upper(), reverse(name, kwargs={"pk": MISSING}))
    assert other.status_code == missing.status_code == 404
    assert world.other_case.title.encode() not in other.content
    world.other_case.refresh_from_db()
    assert world.other_case.status == CaseStatus.DRAFT
    assert world.other_case.title == "其他单位的案例"


def test_another_organisations_attachment_id_reveals_nothing(world):
    client = world.client("locality")
    # Through the owner's own case URL: the attachment must belong to that case.
    remove = client.post(
        reverse(
            "cases:attachment-remove",
            kwargs={"pk": world.own_case.pk, "attachment_pk": world.other_att.pk},
        )
    )
    assert remove.status_code == 404
    assert Attachment.objects.filter(pk=world.other_att.pk).exists()
    assert world.other_att.file.storage.exists(world.other_att.file.name)

    download = client.get(reverse("cases:attachment", kwargs={"attachment_pk": world.other_att.pk}))
    missing = client.get(reverse("cases:attachment", kwargs={"attachment_pk": MISSING}))
    assert download.status_code == missing.status_code == 404
    assert PDF not in download.content
    assert not AttachmentDownload.objects.exists()


def test_lists_show_only_the_users_organisation(world):
    mine = world.client("locality").get(reverse("cases:mine")).content.decode()
    theirs = world.client("other_locality").get(reverse("cases:mine")).content.decode()
    assert "本单位的案例" in mine and "其他单位的案例" not in mine
    assert "其他单位的案例" in theirs and "本单位的案例" not in theirs


def test_expert_rules_widen_nothing_but_the_assignment(world):
    assigned = world.client("assigned_expert")
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.other_att.pk})
    assert assigned.get(url).status_code == 404


@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", LOGIN),
        ("locality", 200),
        ("other_locality", 404),
        ("assigned_expert", 404),  # the case is theirs to review, this file is not
        ("other_expert", 404),
        ("administrator", 200),
    ],
)
def test_a_file_hidden_from_experts(world, role, expected):
    Attachment.objects.filter(pk=world.own_att.pk).update(hidden_from_experts=True)
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.own_att.pk})
    response = world.client(role).get(url)
    _check(response, expected, url)
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
    logged = AttachmentDownload.objects.values_list("user_id", flat=True)
    assert list(logged) == ([world.users[role].pk] if expected == 200 else [])


def test_without_any_rule_an_expert_sees_no_file(world, monkeypatch):
    monkeypatch.setattr(access, "_expert_rules", [])
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.own_att.pk})
    assert world.client("assigned_expert").get(url).status_code == 404


# Download log ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["locality", "assigned_expert", "administrator"])
def test_every_download_of_an_unpublished_file_is_logged(world, role):
    client = world.client(role)
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.own_att.pk})
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
    rows = AttachmentDownload.objects.filter(attachment=world.own_att)
    assert [r.user_id for r in rows] == [world.users[role].pk] * 2
    assert all(r.at is not None for r in rows)


def test_download_is_served_as_a_private_attachment(world):
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.own_att.pk})
    response = world.client("locality").get(url)
    b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_a_refused_download_is_not_logged(world):
    url = reverse("cases:attachment", kwargs={"attachment_pk": world.own_att.pk})
    assert world.client("other_expert").get(url).status_code == 404
    assert world.client("other_locality").get(url).status_code == 404
    assert not AttachmentDownload.objects.exists()


def test_files_are_not_under_a_public_url(world, tmp_path):
    assert world.own_att.file.name.startswith("attachments/")
    assert (tmp_path / world.own_att.file.name).read_bytes() == PDF
    # Nothing routes /media/ (or the stored path itself) to the file.
    client = world.client("locality")
    for path in (
        f"/media/{world.own_att.file.name}",
        f"/{world.own_att.file.name}",
        world.own_att.file.url,
    ):
        assert client.get(path).status_code == 404


@pytest.fixture
def public_attachment(world):
    """A file of a published, awarded case of the owning organisation."""
    campaign = CampaignFactory()  # published
    case = CaseFactory(
        campaign=campaign,
        organisation=world.own_case.organisation,
        outcome=CaseOutcome.AWARDED,
        status=CaseStatus.ACCEPTED,
    )
    assert case.is_public
    attachment = Attachment(
        case=case,
        kind=AttachmentKind.APPLICATION_FORM,
        original_name="公开案例申报书.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    attachment.file.save("公开案例申报书.pdf", ContentFile(PDF), save=False)
    attachment.save()
    return attachment


@pytest.mark.parametrize("role", ["locality", "administrator"])
def test_downloads_of_a_public_cases_file_are_not_logged(world, public_attachment, role):
    url = reverse("cases:attachment", kwargs={"attachment_pk": public_attachment.pk})
    response = world.client(role).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert not AttachmentDownload.objects.exists()
