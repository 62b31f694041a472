"""Enrolment, codes, recovery codes and disabling of two-factor log-in.

A user has at most one confirmed authenticator (a django-otp `TOTPDevice`) and
one `StaticDevice` holding RECOVERY_CODE_COUNT one-time recovery codes. Every
change takes the acting user as `by` and writes an `AccountEvent` in the same
transaction.

Codes are always checked by django-otp against the device rows locked with
`select_for_update`, so a code is accepted once: the authenticator remembers
the last time step it accepted (the same code replayed is refused) and a
recovery code is deleted when used. django-otp also slows down guessing on
each device (1, 2, 4, … seconds after successive failures, counted across
log-in attempts). A failed check is committed before the caller refuses the
request, so that the throttle counts it.
"""

import re
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import AccountEvent, AccountEventKind, User
from common.exceptions import InvalidTransition

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
TOTP_STEP = 30
TOTP_TOLERANCE = 1  # one step either side: the phone's clock may be 30 seconds off
AUTHENTICATOR_NAME = "authenticator"  # device names, shown in the Django admin only
RECOVERY_NAME = "recovery"
SIX_DIGITS = re.compile(r"^\d{6}$")


def wrong_code_message() -> str:
    return _("验证码不正确或已使用过,请输入验证器应用中当前显示的 6 位数字,或一个未用过的恢复码。")


def throttled_message() -> str:
    return _("验证码错误次数较多,请稍候几秒再试。")


# --- enrolment: the secret, before any row exists ---------------------------------


def new_secret() -> str:
    """A fresh 160-bit key, hex-encoded as django-otp stores it."""
    return random_hex(20)


def is_valid_secret(key) -> bool:
    return isinstance(key, str) and re.fullmatch(r"[0-9a-f]{40}", key) is not None


def secret_for_manual_entry(key: str) -> str:
    """The key in base32, as authenticator apps ask for it, in groups of four."""
    text = b32encode(unhexlify(key)).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_url(user: User, key: str) -> str:
    """The otpauth:// address that the QR code carries (issuer from OTP_TOTP_ISSUER)."""
    return TOTPDevice(user=user, key=key, digits=TOTP_DIGITS, step=TOTP_STEP).config_url


def qr_code_svg(url: str) -> str:
    """The QR code as an inline <svg> (drawn here: the secret never leaves the server)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=5, border=2, light="#fff")


def normalise_code(code: str) -> str:
    """Spaces and hyphens dropped, lower case: "1234 56" and "ABCD-EFGH" as typed from paper."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def confirm_enrolment(*, user: User, key: str, code: str, by: User) -> tuple[TOTPDevice, list[str]]:
    """Turn on two-factor log-in once the user's app shows the right code for `key`.

    Returns the authenticator and the new recovery codes: the only time they are shown.
    """
    # Two tabs confirming at once must not leave two authenticators.
    user = User.objects.select_for_update().get(pk=user.pk)
    if has_two_factor(user):
        raise InvalidTransition(_("两步验证已经启用。"))
    if not is_valid_secret(key):
        raise InvalidTransition(_("绑定已过期,请重新扫描二维码。"))
    code = normalise_code(code)
    totp = TOTP(unhexlify(key), step=TOTP_STEP, digits=TOTP_DIGITS)
    totp.time = time.time()
    if not SIX_DIGITS.match(code) or not totp.verify(int(code), tolerance=TOTP_TOLERANCE):
        raise ValidationError(
            {
                "code": _(
                    "验证码不正确,请输入验证器应用中当前显示的 6 位数字(注意手机时间是否准确)。"
                )
            }
        )
    # Devices that were never confirmed (e.g. added in the admin) are left-overs.
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user,
        name=AUTHENTICATOR_NAME,
        key=key,
        digits=TOTP_DIGITS,
        step=TOTP_STEP,
        tolerance=TOTP_TOLERANCE,
        last_t=totp.t(),  # the step of the code just typed: it cannot log anyone in
        confirmed=True,
    )
    codes = _replace_recovery_codes(user)
    AccountEvent.objects.create(user=user, actor=by, kind=AccountEventKind.TWO_FACTOR_ENABLED)
    return device, codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    codes = sorted(codes)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


# --- checking a code ------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | StaticDevice | None  # the device that accepted the code
    throttled: bool = False  # refused unread: too many recent failures on the device

    @property
    def accepted(self) -> bool:
        return self.device is not None

    @property
    def used_recovery_code(self) -> bool:
        return isinstance(self.device, StaticDevice)

    @property
    def message(self) -> str:
        return throttled_message() if self.throttled else wrong_code_message()


@transaction.atomic
def check_code(*, user: User, code: str) -> CodeCheck:
    """A 6-digit code from the authenticator, or a recovery code (used up when accepted).

    Only the kind of device the code looks like is tried, so a mistyped code
    counts against one device's throttle, not both.
    """
    code = normalise_code(code)
    if not code or len(code) > 16:
        return CodeCheck(device=None)
    model = TOTPDevice if SIX_DIGITS.match(code) else StaticDevice
    throttled = False
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            if isinstance(device, StaticDevice):
                AccountEvent.objects.create(
                    user=user, actor=user, kind=AccountEventKind.RECOVERY_CODE_USED
                )
            return CodeCheck(device=device)
    return CodeCheck(device=None, throttled=throttled)


def _require_code(user: User, code: str) -> CodeCheck:
    check = check_code(user=user, code=code)  # committed before any refusal below
    if not check.accepted:
        raise ValidationError({"code": check.message})
    return check


# --- after enrolment -----------------------------------------------------------------


def regenerate_recovery_codes(*, user: User, code: str, by: User) -> list[str]:
    """New recovery codes for old ones (lost, or mostly used), confirmed with a code."""
    if not has_two_factor(user):
        raise InvalidTransition(_("尚未启用两步验证。"))
    _require_code(user, code)
    return _regenerate(user=user, by=by)


@transaction.atomic
def _regenerate(*, user: User, by: User) -> list[str]:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not has_two_factor(user):  # disabled in another tab meanwhile
        raise InvalidTransition(_("尚未启用两步验证。"))
    codes = _replace_recovery_codes(user)
    AccountEvent.objects.create(
        user=user, actor=by, kind=AccountEventKind.RECOVERY_CODES_REGENERATED
    )
    return codes


def disable_two_factor(*, user: User, password: str, code: str, by: User) -> None:
    """Turn two-factor log-in off: the password and a current code (or a recovery code)."""
    if not has_two_factor(user):
        raise InvalidTransition(_("尚未启用两步验证。"))
    if not user.check_password(password):
        raise ValidationError({"password": _("密码不正确。")})
    _require_code(user, code)
    _disable(user=user, by=by)


@transaction.atomic
def _disable(*, user: User, by: User) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # with its tokens
    AccountEvent.objects.create(user=user, actor=by, kind=AccountEventKind.TWO_FACTOR_DISABLED)
