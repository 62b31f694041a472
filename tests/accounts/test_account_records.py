"""Accounts are deactivated, never deleted, and their events cannot be erased."""

import pytest
from django.db.models import ProtectedError

from accounts.models import AccountEvent, AccountEventKind, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
EVENTS = "/admin/accounts/accountevent/"


@pytest.fixture
def office():
    return UserFactory(administrator=True, display_name="组织方小张")


@pytest.fixture
def expert(office):
    """An expert whose account the office created and invited."""
    user = UserFactory(expert=True, display_name="钱评审")
    AccountEvent.objects.create(user=user, actor=office, kind=AccountEventKind.CREATED)
    AccountEvent.objects.create(user=user, actor=office, kind=AccountEventKind.INVITED)
    return user


def offered_actions(response):
    form = response.context["action_form"]
    return {value for value, _label in form.fields["action"].choices} if form else set()


def change_data(user, **changes):
    """The POST of the admin's user change page, as the page would send it."""
    events = user.account_events.count()
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on" if user.is_active else "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "role": user.role,
        "organisation": user.organisation_id or "",
        "display_name": user.display_name,
        "phone": user.phone,
        "account_events-TOTAL_FORMS": str(events),
        "account_events-INITIAL_FORMS": str(events),
        "account_events-MIN_NUM_FORMS": "0",
        "account_events-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- the database -------------------------------------------------------------------------


def test_a_user_with_account_events_cannot_be_deleted(expert):
    with pytest.raises(ProtectedError):
        expert.delete()

    assert expert.account_events.count() == 2


def test_a_user_who_acted_on_an_account_cannot_be_deleted(office, expert):
    AccountEvent.objects.filter(user=office).delete()  # only the expert's events point at them

    with pytest.raises(ProtectedError):
        office.delete()

    assert AccountEvent.objects.filter(actor=office).count() == 2


# --- users in the Django admin ------------------------------------------------------------


def test_the_admin_refuses_the_delete_page_of_a_user_with_events(superuser_client, expert):
    r = superuser_client.get(f"{USERS}{expert.pk}/delete/")
    assert r.status_code == 403  # refused, not a server error
    assert superuser_client.post(f"{USERS}{expert.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=expert.pk).exists()


def test_the_admin_refuses_to_delete_even_a_user_without_any_record(superuser_client):
    user = UserFactory(expert=True)
    assert superuser_client.post(f"{USERS}{user.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_the_admin_list_of_users_offers_no_delete_action(superuser_client, expert):
    r = superuser_client.get(USERS)

    assert r.status_code == 200
    assert "delete_selected" not in offered_actions(r)
    superuser_client.post(USERS, {"action": "delete_selected", "_selected_action": [expert.pk]})
    assert User.objects.filter(pk=expert.pk).exists()


def test_the_user_page_says_accounts_are_deactivated_and_lists_their_events(
    superuser_client, expert
):
    r = superuser_client.get(f"{USERS}{expert.pk}/change/")

    html = r.content.decode()
    assert r.status_code == 200
    assert "账户不能删除" in html
    assert not r.context["has_delete_permission"]  # no delete link
    assert "创建账户" in html and "发送邀请" in html
    assert "account_events-0-DELETE" not in html


def test_the_admin_still_deactivates_a_user(superuser_client, expert):
    r = superuser_client.post(f"{USERS}{expert.pk}/change/", change_data(expert, is_active=""))

    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    expert.refresh_from_db()
    assert not expert.is_active
    assert expert.account_events.count() == 2  # the history is kept


def test_the_admin_add_page_of_a_user_shows_no_events(superuser_client):
    r = superuser_client.get(f"{USERS}add/")
    assert r.status_code == 200
    assert not r.context["inline_admin_formsets"]


# --- account events in the Django admin ---------------------------------------------------


def test_account_events_are_listed_read_only_in_the_admin(superuser_client, expert):
    r = superuser_client.get(EVENTS)

    assert r.status_code == 200
    assert r.context["cl"].result_count == 2
    assert "delete_selected" not in offered_actions(r)
    assert superuser_client.get(f"{EVENTS}add/").status_code == 403
    event = expert.account_events.first()
    page = superuser_client.get(f"{EVENTS}{event.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]


def test_the_admin_refuses_to_delete_an_account_event(superuser_client, expert):
    event = expert.account_events.first()

    assert superuser_client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert superuser_client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser_client.post(EVENTS, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert AccountEvent.objects.filter(pk=event.pk).exists()
