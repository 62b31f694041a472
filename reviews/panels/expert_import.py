"""Bulk import of experts (accounts and profiles) from CSV/XLSX, all or nothing."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.account_import import find_organisation, plan_account_import
from accounts.models import Role
from accounts.services import create_account
from common.tabular import read_table
from reform_cases.models import Field
from reviews.models import ExpertProfile
from reviews.models.panels import MAX_KEYWORDS_LENGTH
from reviews.panels.expert_vectors import refresh_on_commit

COLUMNS = (
    "name",
    "email",
    "phone",
    "affiliation",
    "city",
    "institution",
    "inside",
    "fields",
    "max_cases",
    "keywords",
)
REQUIRED = ("name", "email")
YES = {"是", "yes", "y", "true", "1", "省内"}
NO = {"否", "no", "n", "false", "0", "省外"}


@dataclass
class ExpertRow:
    account: object
    affiliation: object
    institution: str
    inside: bool
    fields: list
    max_cases: int
    keywords: str = ""


@dataclass
class ExpertImportPlan:
    rows: list[ExpertRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def read_expert_rows(data: bytes, filename: str):
    return read_table(data, filename, required=REQUIRED, expected=COLUMNS)


def plan_expert_import(rows) -> ExpertImportPlan:
    plan = ExpertImportPlan()
    account_rows = [(line, {**row, "role": "expert", "organisation": ""}) for line, row in rows]
    accounts = plan_account_import(account_rows)
    plan.errors.extend(accounts.errors)
    by_line = {r.line: r for r in accounts.rows}
    fields = {f.name: f for f in Field.objects.all()}
    for line, row in rows:
        problems = []
        affiliation = None
        name = row.get("affiliation", "").strip()
        if name:
            affiliation = find_organisation(name, row.get("city", ""))
            if affiliation is None:
                problems.append(
                    _("单位“%(v)s”不存在或不唯一;省外或其他机构请填在 institution 列。")
                    % {"v": name}
                )
        inside_text = row.get("inside", "").strip().lower()
        if inside_text and inside_text not in YES | NO:
            problems.append(_("inside 列应填“是”或“否”。"))
        inside = inside_text in YES if inside_text else affiliation is not None
        chosen = []
        for field_name in [
            f.strip() for f in row.get("fields", "").replace(";", ";").split(";") if f.strip()
        ]:
            if field_name not in fields:
                problems.append(_("领域“%(v)s”不存在。") % {"v": field_name})
            else:
                chosen.append(fields[field_name])
        keywords = row.get("keywords", "").strip()
        if len(keywords) > MAX_KEYWORDS_LENGTH:
            problems.append(_("keywords 不能超过 %(n)d 个字。") % {"n": MAX_KEYWORDS_LENGTH})
        max_text = row.get("max_cases", "").strip()
        max_cases = ExpertProfile.DEFAULT_MAX_CASES
        if max_text:
            try:
                max_cases = int(float(max_text))
                if not 1 <= max_cases <= 1000:
                    raise ValueError
            except ValueError:
                problems.append(_("max_cases 应为 1 到 1000 之间的整数。"))
        if problems:
            plan.errors.extend(
                _("第 %(line)d 行:%(message)s") % {"line": line, "message": p} for p in problems
            )
            continue
        if line in by_line:
            plan.rows.append(
                ExpertRow(
                    by_line[line],
                    affiliation,
                    row.get("institution", "").strip()[:200],
                    inside,
                    chosen,
                    max_cases,
                    keywords,
                )
            )
    return plan


@transaction.atomic
def apply_expert_import(*, plan: ExpertImportPlan, by) -> list:
    if not plan.ok:
        raise ValidationError(plan.errors)
    created = []
    for row in plan.rows:
        account = row.account
        user = create_account(
            by=by,
            username=account.username,
            display_name=account.name,
            email=account.email,
            role=Role.EXPERT,
            phone=account.phone,
        )
        profile = ExpertProfile.objects.create(
            user=user,
            affiliation=row.affiliation,
            institution=row.institution,
            inside_province=row.inside,
            max_cases_per_round=row.max_cases,
            expertise_keywords=row.keywords,
        )
        profile.fields.set(row.fields)
        created.append(user)
    refresh_on_commit([user.pk for user in created])
    return created
