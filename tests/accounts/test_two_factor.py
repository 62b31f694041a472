"""Two-factor log-in: enrolment, the code step, recovery codes, the staff policy, the admin."""

import re
import threading
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountEvent, AccountEventKind, User
from accounts.two_factor import pending
from accounts.two_factor.policy import DEMO_ACCOUNTS, two_factor_required
from accounts.two_factor.services import check_code
from tests.factories import PASSWORD, UserFactory, enrol_two_factor
from tests.helpers import ROLES, message_text, totp_code

pytestmark = pytest.mark.django_db

ENROL = "/accounts/two-factor/"
CODE_STEP = "/accounts/login/code/"
LOGIN = "/accounts/login/"
REGENERATE = "/accounts/two-factor/recovery-codes/"
DISABLE = "/accounts/two-factor/disable/"
staff_policy = override_settings(OTP_REQUIRED_FOR_STAFF=True)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def enrolment_key(client):
    return client.session["two_factor_enrol_key"]


def log_in_with_password(client, user, next_url=None):
    path = LOGIN + (f"?next={quote(next_url)}" if next_url else "")
    return client.post(path, {"username": user.username, "password": PASSWORD})


def is_signed_in(client, user):
    return client.session.get("_auth_user_id") == str(user.pk)


def wrong_code(device):
    """A 6-digit code that is none of the codes the device accepts now."""
    accepted = {totp_code(device, steps_ahead=s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def forget_failures(user):
    """As if the devices' throttling delay had passed (1, 2, 4 … seconds after failures)."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=an_hour_ago)


# --- enrolment ------------------------------------------------------------------------


def test_enrolment_page_shows_an_inline_qr_code_and_the_secret():
    client = signed_in(UserFactory(administrator=True))

    r = client.get(ENROL)

    html = r.content.decode()
    assert r.status_code == 200
    assert '<svg width="' in html and 'class="segno"' in html  # drawn here, not an <img> elsewhere
    assert "<img" not in html.split('id="two-factor-qr"')[1].split("</div>")[0]
    from base64 import b32encode
    from binascii import unhexlify

    secret = b32encode(unhexlify(enrolment_key(client))).decode()
    shown = html.split('id="two-factor-secret">')[1].split("<")[0]
    assert shown.replace(" ", "") == secret
    assert client.get(ENROL).content.decode().count(shown) == 1  # the same secret on reload
    assert not TOTPDevice.objects.exists()  # nothing is stored before a code confirms it


def test_enrolment_with_the_apps_code_turns_two_factor_on_and_shows_ten_recovery_codes():
    user = UserFactory(administrator=True)
    client = signed_in(user)
    client.get(ENROL)

    r = client.post(ENROL, {"code": totp_code(enrolment_key(client))})

    assert r.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    tokens = sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(tokens) == 10
    html = r.content.decode()
    assert all(token in html for token in tokens)
    assert "只显示这一次" in html
    assert user.account_events.filter(kind=AccountEventKind.TWO_FACTOR_ENABLED).count() == 1
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session verified
    assert "two_factor_enrol_key" not in client.session
    # Shown once: the page now says two-factor log-in is on and lists no code.
    again = client.get(ENROL).content.decode()
    assert "两步验证已启用" in again
    assert not any(token in again for token in tokens)
    assert "未使用的恢复码:10 个" in again


def test_enrolment_with_a_wrong_code_is_refused_and_creates_nothing():
    user = UserFactory(expert=True)
    client = signed_in(user)
    client.get(ENROL)
    key = enrolment_key(client)
    bad = next(c for c in ("123456", "654321") if c != totp_code(key))

    r = client.post(ENROL, {"code": bad})

    assert r.status_code == 200
    html = r.content.decode()
    assert "验证码不正确" in html
    assert f'value="{bad}"' in html  # what was typed is kept
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    assert not AccountEvent.objects.exists()
    assert enrolment_key(client) == key  # the app's entry stays valid: try again


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1" * 30, "12\x003456"])
def test_enrolment_with_malformed_input_says_so_without_an_error_page(typed):
    client = signed_in(UserFactory(expert=True))
    client.get(ENROL)

    r = client.post(ENROL, {"code": typed})

    assert r.status_code == 200
    assert 'class="invalid-feedback' in r.content.decode()
    assert not TOTPDevice.objects.exists()


def test_the_code_used_to_enrol_cannot_log_in():
    user = UserFactory(expert=True)
    client = signed_in(user)
    client.get(ENROL)
    code = totp_code(enrolment_key(client))
    client.post(ENROL, {"code": code})

    other = Client()
    log_in_with_password(other, user)
    r = other.post(CODE_STEP, {"code": code})

    assert not is_signed_in(other, user)
    assert "已使用过" in r.content.decode()


# --- log-in -------------------------------------------------------------------------------


def test_password_alone_does_not_sign_in_an_enrolled_user():
    user = UserFactory(expert=True)
    enrol_two_factor(user)
    client = Client()

    r = log_in_with_password(client, user)

    assert r.status_code == 302
    assert r["Location"] == CODE_STEP
    assert not is_signed_in(client, user)
    assert client.session[pending.PENDING_KEY]["user"] == user.pk  # in the session, server-side
    page = client.get(CODE_STEP).content.decode()
    code_form = next(f for f in page.split("<form")[1:] if 'name="code"' in f).split("</form>")[0]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)"', code_form)
    assert hidden == ["csrfmiddlewaretoken"]  # no user id or name travels in the form
    assert user.username not in page


def test_log_in_with_the_authenticator_code_goes_where_the_user_was_going():
    user = UserFactory(administrator=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user, next_url="/manage/")

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert r.status_code == 302
    assert r["Location"] == "/manage/"
    assert is_signed_in(client, user)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert pending.PENDING_KEY not in client.session
    assert client.get("/manage/").status_code == 200


def test_user_without_two_factor_logs_in_with_the_password_alone():
    user = UserFactory(expert=True)
    client = Client()

    r = log_in_with_password(client, user)

    assert r.status_code == 302
    assert r["Location"] == "/review/"  # an expert's landing page
    assert is_signed_in(client, user)


def test_a_recovery_code_logs_in_once_only():
    user = UserFactory(expert=True)
    _device, codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user)

    r = client.post(CODE_STEP, {"code": codes[3].upper()[:4] + "-" + codes[3][4:]}, follow=True)

    assert is_signed_in(client, user)
    assert "还剩 9 个" in message_text(r)
    assert not StaticToken.objects.filter(token=codes[3]).exists()
    assert user.account_events.filter(kind=AccountEventKind.RECOVERY_CODE_USED).count() == 1

    again = Client()
    log_in_with_password(again, user)
    r = again.post(CODE_STEP, {"code": codes[3]})
    assert not is_signed_in(again, user)
    assert "验证码不正确或已使用过" in r.content.decode()


def test_a_replayed_code_is_refused():
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    code = totp_code(device)
    first = Client()
    log_in_with_password(first, user)
    first.post(CODE_STEP, {"code": code})
    assert is_signed_in(first, user)

    second = Client()  # someone who saw the code over the user's shoulder
    log_in_with_password(second, user)
    r = second.post(CODE_STEP, {"code": code})

    assert r.status_code == 200
    assert not is_signed_in(second, user)
    assert "已使用过" in r.content.decode()


def test_five_wrong_codes_end_the_half_finished_log_in():
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user)
    bad = wrong_code(device)

    for _ in range(pending.MAX_WRONG_CODES - 1):
        r = client.post(CODE_STEP, {"code": bad})
        assert r.status_code == 200
        assert f'value="{bad}"' in r.content.decode()
    r = client.post(CODE_STEP, {"code": bad})

    assert r.status_code == 302
    assert r["Location"] == LOGIN
    assert "错误次数过多" in message_text(r)
    assert pending.PENDING_KEY not in client.session
    forget_failures(user)
    r = client.post(CODE_STEP, {"code": totp_code(device)})  # the right code is too late now
    assert r["Location"] == LOGIN
    assert not is_signed_in(client, user)


def test_a_code_right_after_a_wrong_one_waits_for_the_throttle():
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user)
    client.post(CODE_STEP, {"code": wrong_code(device)})

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert not is_signed_in(client, user)
    assert "请稍候几秒再试" in r.content.decode()
    forget_failures(user)
    client.post(CODE_STEP, {"code": totp_code(device)})
    assert is_signed_in(client, user)


def test_the_half_finished_log_in_expires():
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user)
    session = client.session
    session[pending.PENDING_KEY]["since"] -= pending.PENDING_SECONDS + 1
    session.save()

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert r["Location"] == LOGIN
    assert "登录已超时" in message_text(r)
    assert not is_signed_in(client, user)


def test_code_step_without_a_password_first_goes_to_the_log_in_page():
    r = Client().get(CODE_STEP)
    assert r.status_code == 302
    assert r["Location"] == LOGIN


def test_a_deactivated_user_waiting_for_a_code_cannot_finish():
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    r = client.post(CODE_STEP, {"code": totp_code(device)})

    assert r["Location"] == LOGIN
    assert not is_signed_in(client, user)


# --- after enrolment: regenerate and disable ------------------------------------------------


def verified_client(user, device):
    client = Client()
    log_in_with_password(client, user)
    client.post(CODE_STEP, {"code": totp_code(device)})
    assert is_signed_in(client, user)
    return client


def test_regenerating_recovery_codes_replaces_the_old_ones():
    user = UserFactory(expert=True)
    device, old = enrol_two_factor(user)
    client = verified_client(user, device)

    r = client.post(REGENERATE, {"code": old[0]})

    assert r.status_code == 200
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10
    assert new.isdisjoint(old)
    assert all(token in r.content.decode() for token in new)
    assert user.account_events.filter(kind=AccountEventKind.RECOVERY_CODES_REGENERATED).exists()


def test_regenerating_with_a_wrong_code_keeps_the_old_codes():
    user = UserFactory(expert=True)
    device, old = enrol_two_factor(user)
    client = verified_client(user, device)

    r = client.post(REGENERATE, {"code": "zzzzzzzz"})

    assert r.status_code == 200
    assert "验证码不正确" in r.content.decode()
    assert set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == set(old)
    assert not user.account_events.filter(kind=AccountEventKind.RECOVERY_CODES_REGENERATED).exists()


def test_disabling_needs_the_password_and_a_code():
    user = UserFactory(expert=True)
    device, codes = enrol_two_factor(user)
    client = verified_client(user, device)

    r = client.post(DISABLE, {"password": "wrong-password", "code": codes[0]})
    assert r.status_code == 200
    assert "密码不正确" in r.content.decode()
    assert StaticToken.objects.filter(token=codes[0]).exists()  # the code was not even tried
    r = client.post(DISABLE, {"password": PASSWORD, "code": "99999999"})
    assert "验证码不正确" in r.content.decode()
    forget_failures(user)
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not user.account_events.filter(kind=AccountEventKind.TWO_FACTOR_DISABLED).exists()

    r = client.post(DISABLE, {"password": PASSWORD, "code": codes[1]})

    assert r.status_code == 302
    assert r["Location"] == ENROL
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert user.account_events.filter(kind=AccountEventKind.TWO_FACTOR_DISABLED).count() == 1
    fresh = Client()
    assert log_in_with_password(fresh, user)["Location"] == "/review/"  # the password alone again


def test_two_factor_pages_keep_a_bounded_number_of_queries(django_assert_max_num_queries):
    user = UserFactory(expert=True)
    device, _codes = enrol_two_factor(user)
    client = verified_client(user, device)
    with django_assert_max_num_queries(8):
        assert client.get(ENROL).status_code == 200
    newcomer = signed_in(UserFactory(expert=True))
    with django_assert_max_num_queries(8):
        assert newcomer.get(ENROL).status_code == 200
    waiting = Client()
    log_in_with_password(waiting, user)
    with django_assert_max_num_queries(4):
        assert waiting.get(CODE_STEP).status_code == 200


# --- the staff policy (OTP_REQUIRED_FOR_STAFF) ---------------------------------------------


def test_policy_is_off_by_default():
    user = UserFactory(administrator=True)
    assert not two_factor_required(user)
    assert signed_in(user).get("/manage/").status_code == 200


@staff_policy
def test_staff_without_an_authenticator_are_sent_to_enrolment_for_every_page():
    user = UserFactory(administrator=True)
    client = signed_in(user)

    for path in ("/manage/", "/", "/notifications/", "/admin/", "/accounts/password/change/"):
        r = client.get(path)
        assert r.status_code == 302, path
        assert r["Location"] == f"{ENROL}?next={quote(path, safe='')}", path
    r = client.post("/manage/accounts/new/", {})
    assert r["Location"].startswith(ENROL)

    page = client.get(ENROL)
    assert page.status_code == 200
    assert "组织方账户必须启用两步验证" in page.content.decode()
    assert client.post("/i18n/setlang/", {"language": "en", "next": ENROL}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert not client.session.get("_auth_user_id")


@staff_policy
def test_staff_enrol_and_continue_where_they_were_going():
    user = UserFactory(administrator=True)
    client = signed_in(user)
    target = client.get("/manage/")["Location"]
    client.get(target)

    r = client.post(target, {"code": totp_code(enrolment_key(client))})

    assert 'href="/manage/"' in r.content.decode()  # "I have saved them, continue"
    assert client.get("/manage/").status_code == 200


@staff_policy
def test_enrolled_staff_with_an_unverified_session_are_sent_to_the_code_step():
    user = UserFactory(administrator=True)
    device, _codes = enrol_two_factor(user)
    client = signed_in(user)  # e.g. a session opened before the policy was turned on

    r = client.get("/manage/")
    assert r["Location"] == f"{CODE_STEP}?next=%2Fmanage%2F"
    assert client.get(ENROL)["Location"].startswith(CODE_STEP)

    r = client.post(f"{CODE_STEP}?next=%2Fmanage%2F", {"code": totp_code(device)})

    assert r["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


@staff_policy
def test_five_wrong_codes_sign_an_unverified_staff_session_out():
    user = UserFactory(administrator=True)
    device, _codes = enrol_two_factor(user)
    client = signed_in(user)
    for _ in range(pending.MAX_WRONG_CODES):
        r = client.post(CODE_STEP, {"code": wrong_code(device)})
    assert r["Location"] == LOGIN
    assert not client.session.get("_auth_user_id")


@staff_policy
def test_staff_log_in_with_password_and_code_and_work_normally():
    user = UserFactory(administrator=True)
    device, _codes = enrol_two_factor(user)
    client = Client()
    log_in_with_password(client, user, next_url="/manage/")
    r = client.post(CODE_STEP, {"code": totp_code(device)})
    assert r["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200
    assert client.get("/admin/").status_code == 200


@staff_policy
def test_experts_are_not_forced_but_may_enrol():
    expert = UserFactory(expert=True)
    client = signed_in(expert)

    assert not two_factor_required(expert)
    assert client.get("/review/").status_code == 200
    assert client.get("/notifications/").status_code == 200
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "组织方账户必须启用两步验证" not in page.content.decode()


@staff_policy
def test_superusers_and_other_staff_count_as_staff():
    assert two_factor_required(UserFactory(is_superuser=True, is_staff=True))
    assert two_factor_required(UserFactory(is_staff=True))
    assert not two_factor_required(UserFactory(locality=True))


@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", f"{LOGIN}?next=/manage/"),
        ("locality", 403),
        ("other_locality", 403),
        ("expert", 403),
        ("administrator", f"{ENROL}?next=%2Fmanage%2F"),
        ("deactivated", f"{LOGIN}?next=/manage/"),
    ],
)
@staff_policy
def test_office_dashboard_with_the_policy_on_for_every_role(client_for, role, expected):
    assert role in ROLES
    r = client_for(role).get("/manage/")
    if isinstance(expected, int):
        assert r.status_code == expected
    else:
        assert r.status_code == 302
        assert r["Location"] == expected


@pytest.mark.parametrize("demo_allowed,exempt", [(True, True), (False, False)])
def test_demo_administrator_is_exempt_only_where_demo_data_is_allowed(
    settings, demo_allowed, exempt
):
    settings.OTP_REQUIRED_FOR_STAFF = True
    settings.DEMO_DATA_ALLOWED = demo_allowed
    demo = UserFactory(administrator=True, username="demo-admin")

    r = signed_in(demo).get("/manage/")

    assert (r.status_code == 200) is exempt
    assert two_factor_required(demo) is not exempt


def test_demo_accounts_listed_are_the_ones_setup_site_creates(published_fixtures):
    from site_setup.demo import create_demo_data

    create_demo_data()

    created = set(
        User.objects.filter(username__startswith="demo-").values_list("username", flat=True)
    )
    assert created == DEMO_ACCOUNTS


# --- the Django admin ---------------------------------------------------------------------------


@staff_policy
def test_admin_site_requires_a_verified_session_when_the_policy_is_on():
    user = UserFactory(administrator=True)
    client = signed_in(user)
    assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"

    device, _codes = enrol_two_factor(user)
    assert client.get("/admin/")["Location"] == f"{CODE_STEP}?next=%2Fadmin%2F"
    assert client.get("/admin/accounts/user/")["Location"].startswith(CODE_STEP)

    client.post(CODE_STEP, {"code": totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_admin_site_is_open_to_a_signed_in_administrator_when_the_policy_is_off():
    assert signed_in(UserFactory(administrator=True)).get("/admin/").status_code == 200


def test_admin_log_in_form_is_replaced_by_the_sites_two_step_log_in():
    user = UserFactory(administrator=True)
    enrol_two_factor(user)
    client = Client()

    r = client.get("/admin/login/?next=/admin/")
    assert r["Location"] == f"{LOGIN}?next=%2Fadmin%2F"

    r = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    assert r["Location"] == LOGIN
    assert not is_signed_in(client, user)  # the password alone opened nothing


def test_admin_log_in_page_still_answers_a_signed_in_user_without_admin_access():
    client = signed_in(UserFactory(expert=True))
    r = client.get("/admin/", follow=True)
    assert r.status_code == 200  # Django's "not authorised" page, no redirect loop
    assert r.redirect_chain == [("/admin/login/?next=/admin/", 302)]


# --- the same code sent twice at once (row locks: PostgreSQL only) ------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["authenticator", "recovery"])
def test_one_code_sent_twice_at_once_is_accepted_once(kind):
    """The first check holds the device row while the second arrives; the second waits for
    it, then sees the code used. Without the lock both would read the device before the
    first wrote it, and both would pass."""
    user = UserFactory(expert=True)
    device, codes = enrol_two_factor(user)
    code = totp_code(device) if kind == "authenticator" else codes[0]
    first_checked = threading.Event()
    answers, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                answers["first"] = check_code(user=user, code=code).accepted
                first_checked.set()
                time.sleep(0.5)  # the second is blocked on the device row meanwhile
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            first_checked.set()
            connections.close_all()

    def second():
        try:
            first_checked.wait(timeout=10)
            answers["second"] = check_code(user=user, code=code).accepted
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors, errors
    assert answers == {"first": True, "second": False}
