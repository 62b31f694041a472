"""Everything the platform holds about one person, for a request for one's data (selectors).

A person is looked up by e-mail address, phone number or user name (`find_person`): the
accounts that match, and the e-mail addresses and phone numbers known for them, which find
what was stored without an account (a case's contact, an objection's contact). Each app
registers what it holds at start-up (`register`), because `accounts` may not import the
apps that depend on it (ARCHITECTURE.md); `collect` asks each collector in turn, one or two
queries each, whatever the number of rows.

Never exported: password hashes, two-factor secrets and recovery codes (only the devices'
names), session keys.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from accounts.models import AccountEvent, User
from notifications.models import Notification

QUERY_MAX_LENGTH = 254  # an e-mail address at most
PHONE = re.compile(r"^\d{7,15}$")
PHONE_NOISE = re.compile(r"[\s\-()()+]")


class QueryKind(models.TextChoices):
    EMAIL = "email", _("电子邮箱")
    PHONE = "phone", _("电话号码")
    USERNAME = "username", _("用户名")


@dataclass(frozen=True)
class Person:
    """Who was asked for: the matching accounts and every address and number known for them."""

    kind: QueryKind
    query: str
    accounts: tuple[User, ...]
    emails: frozenset[str] = field(default_factory=frozenset)
    phones: frozenset[str] = field(default_factory=frozenset)  # digits only, without +86

    @property
    def account_ids(self) -> list[int]:
        return [user.pk for user in self.accounts]

    @property
    def login_names(self) -> set[str]:
        """What django-axes logs as the user name: the account's (accounts/lockout.py)."""
        return {user.username for user in self.accounts} | set(self.emails)

    def query_digest(self) -> str:
        """A keyed digest of what was asked: the record can show it without holding it."""
        return salted_hmac("accounts.personal_data.query", self.query).hexdigest()


def phone_digits(text: str) -> str:
    digits = PHONE_NOISE.sub("", text or "")
    return digits.removeprefix("86") if len(digits) == 13 else digits


def digits_only(expression: str):
    """`expression` without spaces and hyphens, in the database (stored phones keep them)."""
    return Replace(Replace(expression, Value("-"), Value("")), Value(" "), Value(""))


def parse_query(text: str) -> tuple[QueryKind, str]:
    """What kind of identifier `text` is, normalised; ValidationError if none."""
    text = (text or "").strip()
    if not text or len(text) > QUERY_MAX_LENGTH:
        raise ValidationError(_("请输入电子邮箱、电话号码或用户名。"))
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("这不是有效的电子邮箱地址。")) from None
        return QueryKind.EMAIL, text.lower()
    if PHONE.match(phone_digits(text)):
        return QueryKind.PHONE, phone_digits(text)
    if len(text) <= 150:
        try:
            UnicodeUsernameValidator()(text)
        except ValidationError:
            pass
        else:
            return QueryKind.USERNAME, text
    raise ValidationError(_("请输入电子邮箱、电话号码或用户名。"))


def find_person(text: str) -> Person:
    kind, query = parse_query(text)
    if kind == QueryKind.EMAIL:
        accounts = User.objects.filter(email__iexact=query)
    elif kind == QueryKind.PHONE:
        accounts = User.objects.alias(digits=digits_only("phone")).filter(
            Q(digits=query) | Q(digits=f"+86{query}")
        )
    else:
        accounts = User.objects.filter(username=query)
    accounts = tuple(accounts.select_related("organisation").order_by("pk"))
    emails = {user.email.lower() for user in accounts if user.email}
    phones = {phone_digits(user.phone) for user in accounts if user.phone}
    if kind == QueryKind.EMAIL:
        emails.add(query)
    elif kind == QueryKind.PHONE:
        phones.add(query)
    return Person(kind, query, accounts, frozenset(emails), frozenset(phones))


# --- what each app holds ----------------------------------------------------------------

Collector = Callable[[Person], list[dict]]
_collectors: dict[str, tuple[Collector, str]] = {}


def register(category: str, collector: Collector, label) -> None:
    """`collector(person)` returns the rows of `category` about `person` (plain values);
    `label` names the category on the office's page."""
    _collectors[category] = (collector, label)


def category_labels() -> dict[str, str]:
    return {category: label for category, (_collector, label) in _collectors.items()}


def collect(person: Person) -> dict[str, list[dict]]:
    return {category: collector(person) for category, (collector, _label) in _collectors.items()}


def export(person: Person) -> dict:
    """The file handed to the person: what was asked, when, and every category."""
    return {
        "generated_at": timezone.now(),
        "query": {"kind": person.kind.value, "value": person.query},
        **collect(person),
    }


def _accounts(person: Person) -> list[dict]:
    return [
        {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "phone": user.phone,
            "role": user.role,
            "organisation": user.organisation.name if user.organisation_id else None,
            "language": user.language,
            "is_active": user.is_active,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "invited_at": user.invited_at,
            # Which second factors exist, never their secrets.
            "two_factor_devices": [
                {"name": device.name, "confirmed": device.confirmed}
                for device in devices_for_user(user, confirmed=None)
            ],
        }
        for user in person.accounts
    ]


def _account_events(person: Person) -> list[dict]:
    events = AccountEvent.objects.filter(user__in=person.account_ids).select_related("actor")
    return [
        {
            "account": event.user_id,
            "kind": event.kind,
            "note": event.note,
            "by": str(event.actor) if event.actor_id else None,
            "at": event.at,
        }
        for event in events.order_by("at", "pk")
    ]


def _login_records(person: Person) -> list[dict]:
    if not person.accounts:
        return []
    names = person.login_names
    rows = []
    for model, kind in (
        (AccessLog, "login"),
        (AccessAttempt, "failed_attempts"),
        (AccessFailureLog, "failure"),
    ):
        for record in model.objects.filter(username__in=names).order_by("attempt_time"):
            rows.append(
                {
                    "kind": kind,
                    "username": record.username,
                    "ip_address": record.ip_address,
                    "user_agent": record.user_agent,
                    "at": record.attempt_time,
                    "logout_time": getattr(record, "logout_time", None),
                }
            )
    return rows


def _notifications(person: Person) -> list[dict]:
    notes = Notification.objects.filter(recipient__in=person.account_ids).order_by("created_at")
    return [
        {
            "kind": note.kind,
            "language": note.language,
            "subject": note.subject,
            "body": note.body,
            "status": note.status,
            "created_at": note.created_at,
            "sent_at": note.sent_at,
            "read_at": note.read_at,
        }
        for note in notes
    ]


register("accounts", _accounts, _("账户"))
register("account_events", _account_events, _("账户记录"))
register("login_records", _login_records, _("登录记录"))
register("notifications", _notifications, _("通知"))
