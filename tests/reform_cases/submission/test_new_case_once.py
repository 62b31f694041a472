"""The new-case form posted twice makes one draft, and a taken title is a message, not a 500
(issue 15). Before: the second post hit the (campaign, title) unique constraint — excluded from
full_clean — and answered 500."""

import re
import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from reform_cases.models import Case, CaseEvent, CaseEventKind
from reform_cases.submission import services as submission_services
from tests.factories import UserFactory, draft_case, open_campaign
from tests.helpers import client_of, message_text, messages_of, run_together

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.fixture
def campaign(db):
    return open_campaign()


@pytest.fixture
def locality(make_user):
    return make_user("locality")


def new_case(token, **fields):
    return {"title": "一次提交的新案例", "summary": "简介。", "form_token": str(token), **fields}


def edit_url(case):
    return reverse("cases:edit", kwargs={"pk": case.pk})


def test_the_new_case_form_carries_a_one_time_token(campaign, locality):
    client = client_of(locality)
    tokens = [
        re.search(
            r'name="form_token" value="([^"]+)"', client.get(reverse("cases:new")).content.decode()
        )
        for _ in range(2)
    ]
    assert all(tokens)
    assert uuid.UUID(tokens[0].group(1)) != uuid.UUID(tokens[1].group(1))


def test_the_same_form_posted_twice_makes_one_draft(campaign, locality):
    client = client_of(locality)
    data = new_case(uuid.uuid4())

    first = client.post(reverse("cases:new"), data)
    second = client.post(reverse("cases:new"), data)

    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == edit_url(case)
    # (The first post's message was never shown: the browser left that answer for this one.)
    assert messages_of(second)[-1] == (
        "info",
        "这份申报表已经提交过一次,草稿“一次提交的新案例”已创建,不会重复创建。",
    )
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.CREATED).count() == 1


def test_two_forms_with_the_same_title_get_a_message_not_a_500(campaign, locality):
    client = client_of(locality)
    assert client.post(reverse("cases:new"), new_case(uuid.uuid4())).status_code == 302

    # Another form (another tab), the same title written a little differently.
    response = client.post(
        reverse("cases:new"), new_case(uuid.uuid4(), title=" 一次提交的“新案例” ", summary="另一份")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "本次评选中已有名为“一次提交的“新案例””的案例,请换一个案例名称。" in html
    assert "另一份" in html  # what was typed stays
    assert Case.objects.count() == 1


def test_another_organisations_title_is_a_message_too(campaign, locality):
    draft_case(campaign, UserFactory(locality=True).organisation, title="同名的案例")
    response = client_of(locality).post(
        reverse("cases:new"), new_case(uuid.uuid4(), title="同名的案例")
    )
    assert response.status_code == 200
    assert "已有名为“同名的案例”的案例" in response.content.decode()
    assert Case.objects.count() == 1


def test_renaming_a_draft_to_a_taken_title_is_a_message(campaign, locality):
    draft_case(campaign, locality.organisation, title="已有的标题")
    mine = draft_case(campaign, locality.organisation, title="我的标题")
    response = client_of(locality).post(
        edit_url(mine), {"title": "已有的标题", "summary": "改名", "edit_version": 1}
    )
    assert response.status_code == 200
    assert "已有名为“已有的标题”的案例" in response.content.decode()
    mine.refresh_from_db()
    assert (mine.title, mine.summary) == ("我的标题", "")


def test_a_title_of_quotation_marks_only_is_refused(campaign, locality):
    response = client_of(locality).post(reverse("cases:new"), new_case(uuid.uuid4(), title="“ ”"))
    assert response.status_code == 200
    assert "案例名称不能只由空格或引号组成。" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("token", [None, "", "不是令牌"])
def test_a_post_without_a_valid_token_keeps_what_was_typed(campaign, locality, token):
    data = new_case("", summary="没有令牌时写的简介。")
    if token is None:
        del data["form_token"]
    else:
        data["form_token"] = token
    response = client_of(locality).post(reverse("cases:new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "页面已过期,请再点一次“保存草稿”。" in html
    assert "没有令牌时写的简介。" in html
    fresh = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    uuid.UUID(fresh)  # the page shown again carries a usable token
    assert not Case.objects.exists()


def test_another_organisations_token_reveals_nothing(campaign, locality):
    token = uuid.uuid4()
    other = UserFactory(locality=True)
    assert client_of(other).post(reverse("cases:new"), new_case(token)).status_code == 302
    response = client_of(locality).post(reverse("cases:new"), new_case(token, title="别的"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "表单已失效,请重新打开申报页面。" in html
    assert "一次提交的新案例" not in html
    assert Case.objects.count() == 1


def test_the_service_answers_a_repeated_token_with_the_first_draft(campaign, locality):
    token = uuid.uuid4()
    first = submission_services.create_draft(
        campaign=campaign, by=locality, data={"title": "服务层"}, form_token=token
    )
    with pytest.raises(submission_services.DraftAlreadyCreated) as caught:
        submission_services.create_draft(
            campaign=campaign, by=locality, data={"title": "服务层"}, form_token=token
        )
    assert caught.value.case == first
    assert Case.objects.count() == 1


# Both posts at the same moment (PostgreSQL: real row locks) ---------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_form_make_one_draft(owning_organisation):
    """The first post holds its transaction open while the second arrives; the second waits
    on the campaign's row, then finds the first one's draft and redirects to it."""
    campaign = open_campaign()
    locality = UserFactory(locality=True, organisation=owning_organisation)
    token = uuid.uuid4()
    first_done, second_done = threading.Event(), threading.Event()
    answers, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                case = submission_services.create_draft(
                    campaign=campaign, by=locality, data={"title": "同时提交"}, form_token=token
                )
                answers["first"] = case.pk
                first_done.set()
                second_done.wait(timeout=2)  # the second is blocked on the lock meanwhile
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            first_done.set()
            connections.close_all()

    def second():
        try:
            first_done.wait(timeout=10)
            client = Client()
            client.force_login(locality)
            answers["second"] = client.post(reverse("cases:new"), new_case(token, title="同时提交"))
        except Exception as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors, errors
    response = answers["second"]
    assert response.status_code == 302
    assert response.url == reverse("cases:edit", kwargs={"pk": answers["first"]})
    assert "已经提交过一次" in message_text(response)
    assert Case.objects.filter(campaign=campaign).count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_posts_released_together_make_one_draft(owning_organisation):
    """Both posts through the whole stack, released by a barrier: one draft, no 500."""
    campaign = open_campaign()
    locality = UserFactory(locality=True, organisation=owning_organisation)
    data = new_case(uuid.uuid4(), title="一起提交")
    clients = [client_of(locality), client_of(locality)]

    responses = run_together(*(lambda c=c: c.post(reverse("cases:new"), data) for c in clients))

    case = Case.objects.get(campaign=campaign)
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.url for r in responses} == {edit_url(case)}
