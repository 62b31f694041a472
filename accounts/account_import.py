"""Bulk creation of locality and expert accounts from CSV/XLSX, all or nothing."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Organisation, Role, User
from accounts.services import create_account
from common.tabular import read_table

COLUMNS = ("name", "email", "phone", "role", "organisation", "city", "username")
REQUIRED = ("name", "email", "role")
ROLE_NAMES = {
    "locality": Role.LOCALITY,
    "申报单位": Role.LOCALITY,
    "expert": Role.EXPERT,
    "评审专家": Role.EXPERT,
    "专家": Role.EXPERT,
    "admin": Role.ADMINISTRATOR,
    "administrator": Role.ADMINISTRATOR,
    "组织方": Role.ADMINISTRATOR,
}
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(text: str) -> str:
    return re.sub(r"[\s\-()()]", "", text or "").removeprefix("+86")


@dataclass
class AccountRow:
    line: int
    username: str
    name: str
    email: str
    phone: str
    role: str
    organisation: Organisation | None

    @property
    def role_label(self):
        return Role(self.role).label


@dataclass
class AccountImportPlan:
    rows: list[AccountRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def read_account_rows(data: bytes, filename: str):
    return read_table(data, filename, required=REQUIRED, expected=COLUMNS)


def find_organisation(name: str, city: str = "") -> Organisation | None:
    """A unit by name, within a city when given; None when unknown or ambiguous."""
    qs = Organisation.objects.filter(name=name.strip())
    if city.strip():
        if name.strip() == city.strip():
            return qs.filter(parent__isnull=True).first()
        return qs.filter(parent__name=city.strip(), parent__parent__isnull=True).first()
    top = qs.filter(parent__isnull=True).first()
    if top:
        return top
    matches = list(qs[:2])
    return matches[0] if len(matches) == 1 else None


def plan_account_import(rows) -> AccountImportPlan:
    plan = AccountImportPlan()
    emails = {r["email"].strip().lower() for _line, r in rows if r.get("email")}
    usernames = {(r.get("username") or r.get("email", "")).strip() for _line, r in rows}
    taken_emails = set(
        User.objects.annotate(e=Lower("email")).filter(e__in=emails).values_list("e", flat=True)
    )
    taken_usernames = set(
        User.objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    seen_emails, seen_usernames = {}, {}
    for line, row in rows:
        problems = []
        name = row.get("name", "").strip()
        email = row.get("email", "").strip().lower()
        username = (row.get("username") or email).strip()
        phone = normalise_phone(row.get("phone", ""))
        if not name:
            problems.append(_("缺少姓名(name)。"))
        elif len(name) > 60:
            problems.append(_("姓名过长(上限 60 字)。"))
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("邮箱“%(value)s”格式不正确。") % {"value": email})
        else:
            if email in taken_emails:
                problems.append(_("邮箱 %(value)s 已被其他账户使用。") % {"value": email})
            elif email in seen_emails:
                problems.append(
                    _("邮箱 %(value)s 与第 %(line)d 行重复。")
                    % {"value": email, "line": seen_emails[email]}
                )
            seen_emails.setdefault(email, line)
        if username and username != email:
            if username in taken_usernames:
                problems.append(_("用户名 %(value)s 已存在。") % {"value": username})
            elif username in seen_usernames:
                problems.append(
                    _("用户名 %(value)s 与第 %(line)d 行重复。")
                    % {"value": username, "line": seen_usernames[username]}
                )
            seen_usernames.setdefault(username, line)
        elif username in taken_usernames and email not in taken_emails:
            problems.append(_("用户名 %(value)s 已存在。") % {"value": username})
        if phone and not MOBILE.match(phone):
            problems.append(
                _("手机号“%(value)s”不是有效的大陆手机号码。") % {"value": row.get("phone", "")}
            )
        role_text = row.get("role", "").strip()
        role = ROLE_NAMES.get(role_text.lower()) or ROLE_NAMES.get(role_text)
        if role is None:
            problems.append(
                _("角色“%(value)s”无效(可用:locality/申报单位、expert/评审专家、admin/组织方)。")
                % {"value": role_text}
            )
        organisation = None
        org_name = row.get("organisation", "").strip()
        if org_name:
            organisation = find_organisation(org_name, row.get("city", ""))
            if organisation is None:
                problems.append(
                    _("单位“%(value)s”不存在或不唯一,请填写所在设区市(city)。")
                    % {"value": org_name}
                )
        elif role == Role.LOCALITY:
            problems.append(_("申报单位用户必须填写单位(organisation)。"))
        if problems:
            plan.errors.extend(
                _("第 %(line)d 行:%(message)s") % {"line": line, "message": p} for p in problems
            )
            continue
        plan.rows.append(AccountRow(line, username, name, email, phone, role, organisation))
    return plan


@transaction.atomic
def apply_account_import(*, plan: AccountImportPlan, by) -> list[User]:
    if not plan.ok:
        raise ValidationError(plan.errors)
    return [
        create_account(
            by=by,
            username=row.username,
            display_name=row.name,
            email=row.email,
            role=row.role,
            organisation=row.organisation,
            phone=row.phone,
        )
        for row in plan.rows
    ]
