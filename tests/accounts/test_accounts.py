"""Accounts: invitations, one-time links, log-in, throttling, deactivation, moves, imports."""

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import AccountEvent, AccountEventKind, Role, User
from accounts.services import accept_invitation, create_account, send_invitation
from accounts.tokens import InvitationTokenGenerator
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notify
from tests.factories import PASSWORD, CityFactory, CountyFactory, UserFactory
from tests.helpers import mailed_link

pytestmark = pytest.mark.django_db

STRONG = "Qiantang-River-2024"
INVALID_INVITATION = "邀请链接无效"
HEADER = ["name", "email", "phone", "role", "organisation", "city", "username"]


@pytest.fixture
def admin(make_user):
    return make_user("administrator")


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def county(db):
    return CountyFactory(name="导入测试县", parent=CityFactory(name="导入测试市"))


@pytest.fixture
def invite(admin, django_capture_on_commit_callbacks):
    """invite(**fields): an account created by the service, its invitation delivered."""

    def make(**fields):
        data = {
            "username": "invitee",
            "display_name": "陈受邀",
            "email": "invitee@example.org",
            "role": Role.EXPERT,
        } | fields
        with django_capture_on_commit_callbacks(execute=True):
            return create_account(by=admin, **data)

    return make


def invitation_path(user):
    """The path of the newest invitation link e-mailed to `user` (the row holds no link)."""
    return urlsplit(mailed_link(user.email, "/accounts/invitation/")).path


def log_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def set_password(client, path, password, confirm=None):
    return client.post(path, {"new_password1": password, "new_password2": confirm or password})


# --- creating one account -----------------------------------------------------


def test_create_account_invites_by_email(
    admin, admin_client, county, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(
            "/manage/accounts/new/",
            {
                "display_name": "赵申报",
                "email": "Zhao@Example.org",
                "phone": "138 0013 8000",
                "role": Role.LOCALITY,
                "organisation": county.pk,
                "username": "",
            },
        )

    user = User.objects.get(email="zhao@example.org")
    assert r.status_code == 302
    assert r["Location"] == f"/manage/accounts/{user.pk}/"
    assert user.username == "zhao@example.org"  # no username given: the email
    assert user.organisation == county and user.phone == "13800138000"
    assert not user.has_usable_password()
    assert user.invited_at is not None
    assert list(user.account_events.order_by("pk").values_list("kind", "actor")) == [
        (AccountEventKind.CREATED, admin.pk),
        (AccountEventKind.INVITED, admin.pk),
    ]
    [note] = Notification.objects.filter(recipient=user)
    assert note.kind == NotificationKind.ACCOUNT_INVITATION
    assert note.link == "" and "/accounts/invitation/" not in note.body  # no token stored
    assert note.status == DeliveryStatus.SENT and note.attempts == 1
    [email] = mail.outbox
    assert email.to == ["zhao@example.org"]
    link = mailed_link("zhao@example.org", "/accounts/invitation/")
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/accounts/invitation/")
    assert email.subject == note.subject


def test_a_rolled_back_account_sends_nothing(admin, county, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        create_account(
            by=admin,
            username="x",
            display_name="无单位",
            email="x@example.org",
            role=Role.LOCALITY,  # a locality without an organisation: refused
        )
    assert not User.objects.filter(username="x").exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_duplicate_email_is_refused_and_the_form_keeps_what_was_typed(admin_client):
    UserFactory(email="wang@example.org")
    users = User.objects.count()

    r = admin_client.post(
        "/manage/accounts/new/",
        {
            "display_name": "王重复",
            "email": "WANG@Example.org",
            "phone": "13900139000",
            "role": Role.EXPERT,
            "username": "wang2",
        },
    )

    html = r.content.decode()
    assert r.status_code == 200
    assert "该邮箱已被其他账户使用" in html
    assert 'value="王重复"' in html
    assert 'value="WANG@Example.org"' in html
    assert 'value="13900139000"' in html
    assert 'value="wang2"' in html
    assert User.objects.count() == users
    assert not Notification.objects.exists()


def test_locality_account_needs_an_organisation(admin_client):
    r = admin_client.post(
        "/manage/accounts/new/",
        {"display_name": "钱无单位", "email": "qian@example.org", "role": Role.LOCALITY},
    )
    assert r.status_code == 200
    assert "申报单位用户必须绑定一个单位" in r.content.decode()
    assert not User.objects.filter(email="qian@example.org").exists()


def test_invalid_phone_is_refused(admin_client):
    r = admin_client.post(
        "/manage/accounts/new/",
        {"display_name": "孙", "email": "sun@example.org", "phone": "12345", "role": Role.EXPERT},
    )
    assert "请填写有效的 11 位大陆手机号码" in r.content.decode()
    assert not User.objects.filter(email="sun@example.org").exists()


# --- the invitation link ------------------------------------------------------


def test_invitation_link_sets_the_password_once(client, invite):
    user = invite()
    path = invitation_path(user)

    page = client.get(path)
    assert page.status_code == 200
    assert "invitee" in page.content.decode()
    r = set_password(client, path, STRONG)
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert user.account_events.filter(kind=AccountEventKind.PASSWORD_SET).count() == 1

    again = client.get(path)
    assert again.status_code == 400
    assert INVALID_INVITATION in again.content.decode()
    # A second POST with the same link cannot change the password either.
    assert set_password(client, path, "Another-Secret-2025").status_code == 400
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_invitation_link_expires_after_seven_days(client, invite, monkeypatch):
    user = invite()
    path = invitation_path(user)
    real_now = datetime.now

    monkeypatch.setattr(
        InvitationTokenGenerator, "_now", lambda self: real_now() + timedelta(days=6)
    )
    assert client.get(path).status_code == 200  # still valid on day 6

    monkeypatch.setattr(
        InvitationTokenGenerator, "_now", lambda self: real_now() + timedelta(days=8)
    )
    r = client.get(path)
    assert r.status_code == 400
    assert INVALID_INVITATION in r.content.decode()
    assert set_password(client, path, STRONG).status_code == 400
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_resent_invitation_replaces_the_earlier_link(
    client, admin_client, invite, monkeypatch, django_capture_on_commit_callbacks
):
    user = invite()
    first = invitation_path(user)
    # The administrator resends the invitation a minute later.
    later = timezone.now() + timedelta(minutes=1)
    monkeypatch.setattr("accounts.services.timezone.now", lambda: later)
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(f"/manage/accounts/{user.pk}/invite/")
    monkeypatch.undo()
    second = invitation_path(user)

    assert r.status_code == 302
    assert second != first
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200
    assert len(mail.outbox) == 2
    assert user.account_events.filter(kind=AccountEventKind.INVITED).count() == 2


def test_weak_password_on_the_invitation_page_is_refused(client, invite):
    user = invite()
    path = invitation_path(user)

    r = set_password(client, path, "123")

    assert r.status_code == 200
    errors = r.context["form"].errors["new_password2"]
    assert any("8" in e for e in errors)  # too short
    assert any("数字" in e for e in errors)  # entirely numeric
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert client.get(path).status_code == 200  # the link still works


def test_mismatched_passwords_on_the_invitation_page_are_refused(client, invite):
    user = invite()
    r = set_password(client, invitation_path(user), STRONG, confirm=STRONG + "x")
    assert r.status_code == 200 and r.context["form"].errors
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_invitation_of_a_deactivated_account_is_invalid(client, invite, admin):
    user = invite()
    path = invitation_path(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(path).status_code == 400


def test_invitation_and_password_reset_links_are_not_interchangeable(
    client, admin, invite, django_capture_on_commit_callbacks
):
    user = invite()
    accept_invitation(user=user, password=STRONG)  # a usable password: reset links apply
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(user=user, by=admin)
    path = invitation_path(user)
    assert client.get(path).status_code == 200  # a valid invitation link
    uid, token = path.strip("/").split("/")[2:4]
    reset_token = default_token_generator.make_token(user)

    r = client.get(f"/accounts/password/reset/{uid}/{token}/", follow=True)
    assert "链接无效或已过期" in r.content.decode()
    assert client.get(f"/accounts/invitation/{uid}/{reset_token}/").status_code == 400


# --- logging in ---------------------------------------------------------------


def test_log_in_with_email_instead_of_username(client):
    user = UserFactory(expert=True, username="liming", email="li.ming@example.org")

    r = log_in(client, "Li.Ming@Example.org", PASSWORD)

    assert r.status_code == 302
    assert signed_in_as(client) == str(user.pk)


def test_log_in_with_username(client):
    user = UserFactory(expert=True, username="liming", email="li.ming@example.org")
    assert log_in(client, "liming", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(user.pk)


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(expert=True, username="liming")
    r = log_in(client, "liming", "not-the-password")
    assert r.status_code == 200
    assert "用户名(或邮箱)与密码不匹配" in r.content.decode()
    assert signed_in_as(client) is None


def test_invited_user_logs_in_with_the_new_password(client, invite):
    user = invite(email="new.person@example.org", username="newperson")
    set_password(client, invitation_path(user), STRONG)
    r = log_in(client, "new.person@example.org", STRONG)
    assert r.status_code == 302
    assert signed_in_as(client) == str(user.pk)
    assert "陈受邀" in client.get("/").content.decode()  # the name in the navigation bar


# --- throttling ---------------------------------------------------------------


@pytest.fixture
def locked(client):
    """Five wrong passwords for one username from 127.0.0.1."""
    user = UserFactory(locality=True, username="zhao", email="zhao@example.org")
    answers = [log_in(client, "zhao", "wrong-password").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks
    return user


def test_sixth_login_is_refused_even_with_the_right_password(client, locked):
    r = log_in(client, "zhao", PASSWORD)

    assert r.status_code == 429
    html = r.content.decode()
    assert "分钟后再试" in html
    assert f"{int(settings.AXES_COOLOFF_TIME * 60)} 分钟后再试" in html
    assert signed_in_as(client) is None


def test_lockout_does_not_lock_a_colleague_on_the_same_address(client, locked):
    colleague = UserFactory(locality=True, username="qian")
    r = log_in(client, "qian", PASSWORD)
    assert r.status_code == 302
    assert signed_in_as(client) == str(colleague.pk)


def test_lockout_is_per_address(locked):
    other = Client()
    r = log_in(other, "zhao", PASSWORD, REMOTE_ADDR="10.20.30.40")
    assert r.status_code == 302
    assert signed_in_as(other) == str(locked.pk)


@pytest.mark.parametrize("spelling", ["ZHAO@example.org", "Zhao@Example.Org", "zhao@example.org"])
def test_lockout_cannot_be_dodged_by_spelling_the_account_differently(client, locked, spelling):
    """The same account typed as its email (any case) from the same address stays locked.

    Otherwise every spelling gets five more guesses: throttling is bypassed.
    """
    r = log_in(client, spelling, "another-guess")
    assert r.status_code == 429
    r = log_in(client, spelling, PASSWORD)
    assert r.status_code == 429
    assert signed_in_as(client) is None


# --- sessions -----------------------------------------------------------------


def test_administrator_session_expires_after_30_idle_minutes(client, admin):
    client.force_login(admin)
    client.get("/manage/")
    assert client.session.get_expiry_age() <= 30 * 60


def test_administrator_who_logs_in_with_the_form_gets_the_short_session(client, admin):
    log_in(client, admin.username, PASSWORD)
    client.get("/notifications/")
    assert client.session.get_expiry_age() <= 30 * 60


def test_locality_session_keeps_the_normal_lifetime(client, make_user):
    client.force_login(make_user("locality"))
    client.get("/notifications/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE > 30 * 60


# --- deactivation and moves ---------------------------------------------------


def test_deactivated_account_cannot_log_in_and_keeps_its_history(
    client, admin, admin_client, invite
):
    user = invite()
    accept_invitation(user=user, password=STRONG)
    own = Client()
    own.force_login(user)
    assert own.get("/notifications/").status_code == 200

    r = admin_client.post(f"/manage/accounts/{user.pk}/active/", {"active": "0", "reason": "离职"})

    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert list(user.account_events.order_by("pk").values_list("kind", flat=True)) == [
        AccountEventKind.CREATED,
        AccountEventKind.INVITED,
        AccountEventKind.PASSWORD_SET,
        AccountEventKind.DEACTIVATED,
    ]
    event = user.account_events.get(kind=AccountEventKind.DEACTIVATED)
    assert event.actor == admin and event.note == "离职"
    assert Notification.objects.filter(recipient=user).exists()  # nothing deleted
    # Its open session stops authenticating at once.
    r = own.get("/notifications/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    # And it cannot log in again, with the username or the email.
    for name in (user.username, user.email):
        r = log_in(client, name, STRONG)
        assert r.status_code == 200
        assert "或账户已停用" in r.content.decode()
    assert signed_in_as(client) is None
    # The administrator still sees the account and its history.
    detail = admin_client.get(f"/manage/accounts/{user.pk}/").content.decode()
    assert "已停用" in detail and "离职" in detail


def test_deactivated_account_can_be_restored(admin, admin_client, client):
    user = UserFactory(expert=True, is_active=False)
    admin_client.post(f"/manage/accounts/{user.pk}/active/", {"active": "1"})
    user.refresh_from_db()
    assert user.is_active
    assert user.account_events.filter(kind=AccountEventKind.REACTIVATED, actor=admin).exists()
    assert log_in(client, user.username, PASSWORD).status_code == 302


def test_administrator_cannot_deactivate_self(admin, admin_client):
    r = admin_client.post(f"/manage/accounts/{admin.pk}/active/", {"active": "0"}, follow=True)

    assert "不能停用自己的账户" in r.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    assert not AccountEvent.objects.filter(user=admin).exists()
    assert admin_client.get("/manage/").status_code == 200


def test_move_locality_user_is_recorded_and_notified(
    admin, admin_client, county, django_capture_on_commit_callbacks
):
    user = UserFactory(locality=True, organisation=county)
    new = CountyFactory(name="新单位县")

    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(
            f"/manage/accounts/{user.pk}/move/", {"organisation": new.pk, "reason": "机构调整"}
        )

    assert r.status_code == 302
    user.refresh_from_db()
    assert user.organisation == new
    event = user.account_events.get(kind=AccountEventKind.ORGANISATION_CHANGED)
    assert event.actor == admin
    assert "导入测试县" in event.note and "新单位县" in event.note and "机构调整" in event.note
    [note] = Notification.objects.filter(recipient=user)
    assert note.kind == NotificationKind.ORGANISATION_CHANGED
    assert "导入测试县" in note.body and "新单位县" in note.body
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_an_expert_is_not_moved_to_an_organisation(admin_client, county):
    user = UserFactory(expert=True)
    r = admin_client.post(
        f"/manage/accounts/{user.pk}/move/", {"organisation": county.pk}, follow=True
    )
    assert "只有申报单位用户需要绑定单位" in r.content.decode()
    user.refresh_from_db()
    assert user.organisation is None
    assert not user.account_events.exists() and not Notification.objects.exists()


# --- bulk import --------------------------------------------------------------


def good_rows(county):
    return [
        ["张三", "zhangsan@example.org", "13800138000", "locality", county.name, county.parent.name, ""],
        ["李四", "lisi@example.org", "", "expert", "", "", ""],
        ["王五", "WangWu@example.org", "+86 139-0013-9000", "申报单位", county.name, county.parent.name, "wangwu"],
    ]  # fmt: skip


def csv_upload(rows, name="accounts.csv"):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_upload(rows, name="accounts.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


UPLOADS = {"csv": csv_upload, "xlsx": xlsx_upload}


def preview(client, upload):
    r = client.post("/manage/accounts/import/", {"file": upload})
    assert r.status_code == 200
    return r


def apply(client, preview_response):
    return client.post(
        "/manage/accounts/import/apply/", {"token": preview_response.context["token"]}
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_good_file_creates_accounts_and_invitations(
    admin, admin_client, county, kind, django_capture_on_commit_callbacks
):
    before = User.objects.count()
    p = preview(admin_client, UPLOADS[kind](good_rows(county)))
    html = p.content.decode()
    assert "将创建 3 个账户" in html
    assert "张三" in html and "李四" in html and "王五" in html
    assert User.objects.count() == before  # a preview creates nothing

    with django_capture_on_commit_callbacks(execute=True):
        r = apply(admin_client, p)

    assert r.status_code == 302 and r["Location"] == "/manage/accounts/"
    assert User.objects.count() == before + 3
    zhang = User.objects.get(email="zhangsan@example.org")
    assert zhang.role == Role.LOCALITY and zhang.organisation == county
    assert zhang.username == "zhangsan@example.org"
    li = User.objects.get(email="lisi@example.org")
    assert li.role == Role.EXPERT and li.organisation is None
    wang = User.objects.get(username="wangwu")
    assert wang.email == "wangwu@example.org" and wang.phone == "13900139000"
    for user in (zhang, li, wang):
        assert not user.has_usable_password()
        assert user.account_events.filter(kind=AccountEventKind.CREATED, actor=admin).exists()
    invitations = Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITATION)
    assert sorted(invitations.values_list("recipient__email", flat=True)) == [
        "lisi@example.org",
        "wangwu@example.org",
        "zhangsan@example.org",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lisi@example.org",
        "wangwu@example.org",
        "zhangsan@example.org",
    ]
    # The preview cannot be applied twice.
    again = admin_client.post("/manage/accounts/import/apply/", {"token": p.context["token"]})
    assert again["Location"] == "/manage/accounts/import/"
    assert User.objects.count() == before + 3


BAD_ROWS = {
    "existing email": (
        ["赵六", "Taken@Example.org", "", "expert", "", "", ""],
        "邮箱 taken@example.org 已被其他账户使用",
    ),
    "email twice in the file": (
        ["赵六", "ZHANGSAN@example.org", "", "expert", "", "", ""],
        "邮箱 zhangsan@example.org 与第 2 行重复",
    ),
    "unknown role": (
        ["赵六", "zhaoliu@example.org", "", "boss", "", "", ""],
        "角色“boss”无效",
    ),
    "unknown organisation": (
        ["赵六", "zhaoliu@example.org", "", "locality", "不存在的县", "导入测试市", ""],
        "单位“不存在的县”不存在或不唯一",
    ),
    "locality without organisation": (
        ["赵六", "zhaoliu@example.org", "", "locality", "", "", ""],
        "申报单位用户必须填写单位(organisation)",
    ),
    "invalid phone": (
        ["赵六", "zhaoliu@example.org", "12345", "expert", "", "", ""],
        "手机号“12345”不是有效的大陆手机号码",
    ),
    "invalid email": (
        ["赵六", "not-an-email", "", "expert", "", "", ""],
        "邮箱“not-an-email”格式不正确",
    ),
    "no name": (
        ["", "zhaoliu@example.org", "", "expert", "", "", ""],
        "缺少姓名(name)",
    ),
}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("problem", list(BAD_ROWS))
def test_import_with_one_bad_row_creates_nothing(
    admin_client, county, problem, kind, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.org")
    bad, message = BAD_ROWS[problem]
    rows = [good_rows(county)[0], bad, good_rows(county)[1]]
    before = (User.objects.count(), AccountEvent.objects.count())

    p = preview(admin_client, UPLOADS[kind](rows))
    html = p.content.decode()

    assert f"第 3 行:{message}" in html
    assert "未创建任何账户" in html
    assert "第 2 行:" not in html and "第 4 行:" not in html  # the good rows are fine
    assert 'action="/manage/accounts/import/apply/"' not in html  # nothing to confirm
    # Forcing the confirmation anyway creates nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        r = apply(admin_client, p)
    assert f"第 3 行:{message}" in r.content.decode()
    assert (User.objects.count(), AccountEvent.objects.count()) == before
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_import_names_every_bad_row(admin_client, county):
    rows = [
        good_rows(county)[0],
        BAD_ROWS["unknown role"][0],
        ["孙七", "sunqi@example.org", "123", "locality", "", "", ""],
    ]
    html = preview(admin_client, csv_upload(rows)).content.decode()
    assert "第 3 行:角色“boss”无效" in html
    assert "第 4 行:手机号“123”不是有效的大陆手机号码" in html
    assert "第 4 行:申报单位用户必须填写单位(organisation)" in html
    assert "发现 3 个问题" in html


def test_import_checks_again_when_confirmed(
    admin_client, county, django_capture_on_commit_callbacks
):
    """An email taken between the preview and the confirmation: nothing is created."""
    before = User.objects.count()
    p = preview(admin_client, csv_upload(good_rows(county)))
    UserFactory(email="lisi@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        r = apply(admin_client, p)

    assert r.status_code == 200
    assert "第 3 行:邮箱 lisi@example.org 已被其他账户使用" in r.content.decode()
    assert User.objects.count() == before + 1  # only the one created meanwhile
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "upload,message",
    [
        (SimpleUploadedFile("accounts.txt", b"name,email,role\n"), "只支持 CSV 或 XLSX 文件"),
        (SimpleUploadedFile("accounts.csv", b"name,role\n"), "缺少列:email"),
        (SimpleUploadedFile("accounts.xlsx", b"name,email,role\n"), "不是有效的 XLSX 文件"),
        (SimpleUploadedFile("accounts.csv", b"MZ\x90\x00\x00\x00"), "不是有效的 CSV"),
    ],
    ids=["extension", "missing column", "csv named xlsx", "binary named csv"],
)
def test_import_refuses_unreadable_files(admin_client, upload, message):
    r = admin_client.post("/manage/accounts/import/", {"file": upload})
    assert r.status_code == 200
    assert message in r.content.decode()
    assert "account_import" not in admin_client.session


# --- password reset -----------------------------------------------------------


def test_password_reset_by_email(client, django_capture_on_commit_callbacks):
    user = UserFactory(locality=True, email="reset.me@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/accounts/password/reset/", {"email": "reset.me@example.org"})

    assert r.status_code == 302 and r["Location"] == "/accounts/password/reset/sent/"
    [note] = Notification.objects.filter(recipient=user)
    assert note.kind == NotificationKind.PASSWORD_RESET
    assert note.link == "" and "/accounts/password/reset/" not in note.body  # no token stored
    [email] = mail.outbox
    assert email.to == ["reset.me@example.org"]

    path = urlsplit(mailed_link("reset.me@example.org", "/accounts/password/reset/")).path
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    assert set_url.endswith("/set-password/")
    r = set_password(client, set_url, STRONG)
    assert r.status_code == 302 and r["Location"] == "/accounts/password/reset/complete/"

    assert log_in(client, "reset.me@example.org", STRONG).status_code == 302
    assert signed_in_as(client) == str(user.pk)
    # The link worked once.
    client.logout()
    assert "链接无效或已过期" in client.get(path, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_tells_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert r["Location"] == "/accounts/password/reset/sent/"  # same answer as for a real account
    assert not Notification.objects.exists() and mail.outbox == []


def test_change_password_refuses_a_weak_one(client, make_user):
    user = make_user("expert")
    client.force_login(user)
    r = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert r.status_code == 200 and r.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    r = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert r["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_log_out_ends_the_session(client, make_user):
    client.force_login(make_user("expert"))
    client.post("/accounts/logout/")
    assert signed_in_as(client) is None
    assert client.get("/notifications/").status_code == 302


# --- the notifications page ---------------------------------------------------


def test_each_user_sees_only_their_own_notifications(make_user):
    me, other = make_user("locality"), make_user("expert")
    notify([me], kind=NotificationKind.ORGANISATION_CHANGED, obj=me,
           context={"old_organisation": "甲县", "new_organisation": "乙县"})  # fmt: skip
    notify([other], kind=NotificationKind.ORGANISATION_CHANGED, obj=other,
           context={"old_organisation": "丙县", "new_organisation": "丁县"})  # fmt: skip
    client = Client()
    client.force_login(me)

    html = client.get("/notifications/").content.decode()

    assert "乙县" in html and "丁县" not in html
    assert 'aria-label="未读">1</span>' in html  # the unread count in the navigation bar
    r = client.post("/notifications/read/")
    assert r["Location"] == "/notifications/"
    assert 'aria-label="未读"' not in client.get("/notifications/").content.decode()
    assert Notification.objects.get(recipient=other).read_at is None
