"""The rubric (issue 5): editable until the first score, then locked, in the office pages
and in the Django admin alike.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from common.exceptions import InvalidTransition
from reviews.models import Criterion, Review, ReviewStatus, Score
from reviews.rounds import services as rounds_services
from tests.factories import score_data
from tests.helpers import message_text

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


# --- names are unique in a campaign (found by the hostile-input crawl) ---------------------------


def _with_new_rows(data, criteria, *names):
    """`data` with new rows named `names` after the criteria's rows."""
    n = len(criteria)
    data["criteria-TOTAL_FORMS"] = str(n + len(names))
    for i, name in enumerate(names, start=n):
        data |= {
            f"criteria-{i}-order": str(i + 1),
            f"criteria-{i}-name": name,
            f"criteria-{i}-description": "",
            f"criteria-{i}-max_score": "10",
            f"criteria-{i}-weight": "1",
        }
    return data


@pytest.mark.parametrize("names", [("创新性",), ("协同性", "协同性")])
def test_a_name_twice_in_the_rubric_is_refused_with_a_message(desk, office_client, names):
    # Within the posted rows Django's own formset check finds it ("重复的数据").
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})
    before = _rubric(desk.campaign)

    r = office_client.post(url, _with_new_rows(rubric_post(desk.criteria), desk.criteria, *names))

    assert r.status_code == 200
    assert "重复数据" in r.content.decode()
    assert _rubric(desk.campaign) == before


def test_a_forged_count_of_saved_rows_is_refused_not_a_server_error(desk, office_client):
    # With INITIAL_FORMS at 0 every posted row counts as new, named like the saved ones.
    url = reverse("manage:rubric", kwargs={"pk": desk.campaign.pk})
    data = rubric_post(desk.criteria) | {"criteria-INITIAL_FORMS": "0"}
    before = _rubric(desk.campaign)

    r = office_client.post(url, data)

    assert r.status_code == 200
    assert "已有名为“创新性”的评分指标" in r.content.decode()
    assert _rubric(desk.campaign) == before
