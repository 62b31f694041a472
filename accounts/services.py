from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.audit_records import PERSONAL_DATA_EXPORTED
from accounts.models import (
    AccountEvent,
    AccountEventKind,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from accounts.tokens import invitation_token
from audit import chain
from common.links import absolute_url
from notifications.models import NotificationKind
from notifications.services import notify

PROVINCE_NAME = "浙江省"


@dataclass(frozen=True)
class UnitPlan:
    """Where a named unit lives, whether or not it exists yet."""

    name: str
    kind: str
    parent: Organisation | None
    existing: Organisation | None

    @property
    def is_new(self) -> bool:
        return self.existing is None

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent else self.name


def find_region(name: str) -> Organisation | None:
    """A region is the province itself or one of its prefecture-level cities."""
    name = (name or "").strip()
    if not name:
        return None
    return Organisation.objects.filter(
        name=name, parent__isnull=True, kind__in=[OrganisationKind.PROVINCE, OrganisationKind.CITY]
    ).first()


def plan_unit(name: str, region: Organisation | None) -> UnitPlan:
    """Decide which organisation a unit name in the published lists means.

    A name is matched within the region's city first (county-level units are
    written by their short name), then among top-level units (cities and
    provincial departments). An unknown name becomes a unit under the city,
    or a top-level unit for province-level cases: never a second unit of the
    same name under the same city.
    """
    name = name.strip()
    city = region if region is not None and region.kind == OrganisationKind.CITY else None
    if city is not None:
        found = Organisation.objects.filter(name=name, parent=city).first()
        if found:
            return UnitPlan(name, found.kind, city, found)
    top = Organisation.objects.filter(name=name, parent__isnull=True).first()
    if top:
        return UnitPlan(name, top.kind, None, top)
    kind = OrganisationKind.DEPARTMENT if name.startswith("省") else OrganisationKind.OTHER
    return UnitPlan(name, kind, city, None)


@transaction.atomic
def ensure_unit(plan: UnitPlan) -> Organisation:
    if plan.existing is not None:
        return plan.existing
    organisation, _created = Organisation.objects.get_or_create(
        name=plan.name, parent=plan.parent, defaults={"kind": plan.kind}
    )
    return organisation


# --- accounts -------------------------------------------------------------


# The two links that carry a token. They are built from SITE_URL (never from a request's
# Host header) when the e-mail is sent, and stored nowhere: accounts/apps.py registers
# them with notifications.secret_links, and the outbox row holds only the recipient.


def invitation_link(user) -> str:
    """A fresh invitation link: valid 7 days, until the next invitation or a password is set."""
    path = reverse(
        "accounts:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token.make_token(user),
        },
    )
    return absolute_url(path)


def password_reset_link(user) -> str:
    """A fresh reset link: valid PASSWORD_RESET_TIMEOUT, until the password (or log-in) changes."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


@transaction.atomic
def send_invitation(*, user, by) -> None:
    """(Re)send the one-time link; an earlier link stops working.

    The link itself is minted when the e-mail is sent (invitation_link).
    """

    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    AccountEvent.objects.create(user=user, actor=by, kind=AccountEventKind.INVITED)
    notify([user], kind=NotificationKind.ACCOUNT_INVITATION, obj=user)


@transaction.atomic
def request_password_reset(*, user) -> None:
    """Write the reset e-mail to the outbox; its link is minted when it is sent."""
    notify([user], kind=NotificationKind.PASSWORD_RESET, obj=user)


@transaction.atomic
def create_account(
    *,
    by,
    username: str,
    display_name: str,
    email: str,
    role: str,
    organisation=None,
    phone: str = "",
) -> User:
    """Create an account with no usable password and invite its owner by email."""

    user = User(
        username=username.strip(),
        display_name=display_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        role=role,
        organisation=organisation if role == Role.LOCALITY else None,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    AccountEvent.objects.create(user=user, actor=by, kind=AccountEventKind.CREATED)
    send_invitation(user=user, by=by)
    return user


@transaction.atomic
def accept_invitation(*, user, password: str) -> None:

    user.set_password(password)
    user.save(update_fields=["password"])
    AccountEvent.objects.create(user=user, actor=user, kind=AccountEventKind.PASSWORD_SET)


@transaction.atomic
def set_active(*, user, by, active: bool, reason: str = "") -> User:
    """Deactivate (no more log-in, history kept) or reactivate an account."""

    if user.pk == by.pk and not active:
        raise ValidationError(_("不能停用自己的账户。"))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    # An inactive user's open sessions stop authenticating at the next request
    # (ModelBackend refuses inactive users), so nothing else needs ending here.
    AccountEvent.objects.create(
        user=user,
        actor=by,
        kind=AccountEventKind.REACTIVATED if active else AccountEventKind.DEACTIVATED,
        note=reason,
    )
    return user


@transaction.atomic
def move_to_organisation(*, user, by, organisation, reason: str = "") -> User:
    """Move a locality user to another organisation; recorded and told to the user."""

    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    if user.role != Role.LOCALITY:
        raise ValidationError(_("只有申报单位用户需要绑定单位。"))
    if organisation is None:
        raise ValidationError({"organisation": _("请选择单位。")})
    old = user.organisation
    if old == organisation:
        return user
    user.organisation = organisation
    user.save(update_fields=["organisation"])
    AccountEvent.objects.create(
        user=user,
        actor=by,
        kind=AccountEventKind.ORGANISATION_CHANGED,
        note=f"{old} → {organisation}" + (f"。{reason}" if reason else ""),
    )
    notify(
        [user],
        kind=NotificationKind.ORGANISATION_CHANGED,
        obj=user,
        context={"old_organisation": old, "new_organisation": organisation},
    )
    return user


@transaction.atomic
def record_personal_data_export(*, person, counts: dict[str, int], by: User) -> None:
    """Who exported whose data, and how much, chained (audit/chain.py; the record's time is
    when). What was asked is kept as a keyed digest and the accounts by id: the record holds
    none of the exported data, so it may outlive it."""
    if not by.is_administrator:
        raise PermissionDenied
    chain.append(
        kind=PERSONAL_DATA_EXPORTED,
        obj=User(pk=by.pk),  # `by` may be request.user, a lazy object the chain cannot label
        content={
            "by": by.pk,
            "query_kind": person.kind.value,
            "query_digest": person.query_digest(),
            "accounts": person.account_ids,
            "counts": counts,
        },
    )
