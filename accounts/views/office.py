"""The organising office's account pages under /manage/accounts/."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.account_import import apply_account_import, plan_account_import, read_account_rows
from accounts.forms import AccountForm, AccountImportForm, DeactivateForm, MoveOrganisationForm
from accounts.models import Role, User
from accounts.permissions import administrator_required
from accounts.selectors import accounts_for_listing
from common import import_session

IMPORT_SESSION_KEY = "account_import"


@administrator_required
def account_list(request):
    filters = {
        "query": request.GET.get("q", "").strip()[:100],
        "role": request.GET.get("role", "") if request.GET.get("role") in Role.values else "",
        "active": request.GET.get("active", ""),
    }
    page = Paginator(accounts_for_listing(**filters), 50).get_page(request.GET.get("page"))
    query = "&".join(
        f"{k}={v}"
        for k, v in (
            ("q", filters["query"]),
            ("role", filters["role"]),
            ("active", filters["active"]),
        )
        if v
    )
    return render(
        request,
        "office/account_list.html",
        {"page": page, "filters": filters, "roles": Role.choices, "querystring": query},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_account(
                by=request.user,
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                role=data["role"],
                organisation=data["organisation"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已创建账户 %(name)s,邀请邮件已发出。") % {"name": user})
            return redirect("manage:account-detail", pk=user.pk)
    return render(
        request,
        "office/form_page.html",
        # The form collects personal data: the page links the privacy notice.
        {"form": form, "page_title": _("新建账户"), "privacy_note": True},
    )


@administrator_required
def account_detail(request, pk):
    account = get_object_or_404(User.objects.select_related("organisation__parent"), pk=pk)
    return _detail_page(request, account)


def _detail_page(request, account, *, move_form=None, deactivate_form=None):
    """The account page; a refused form comes back bound, with its errors and what was typed."""
    move_form = move_form or MoveOrganisationForm(initial={"organisation": account.organisation})
    move_form.helper.form_action = reverse("manage:account-move", args=[account.pk])
    return render(
        request,
        "office/account_detail.html",
        {
            "account": account,
            "events": account.account_events.select_related("actor")[:50],
            "move_form": move_form,
            "deactivate_form": deactivate_form or DeactivateForm(),
        },
    )


@administrator_required
@require_POST
def account_set_active(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = DeactivateForm(request.POST)
    active = request.POST.get("active") == "1"
    if not form.is_valid():  # a reason too long or holding NUL: refused, never cut
        return _detail_page(request, account, deactivate_form=form)
    try:
        services.set_active(
            user=account, by=request.user, active=active, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("账户已恢复。") if active else _("账户已停用,历史记录保留。"))
    return redirect("manage:account-detail", pk=pk)


@administrator_required
@require_POST
def account_move(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = MoveOrganisationForm(request.POST)
    if form.is_valid():
        try:
            services.move_to_organisation(
                user=account,
                by=request.user,
                organisation=form.cleaned_data["organisation"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("单位已调整并记录。"))
        return redirect("manage:account-detail", pk=pk)
    return _detail_page(request, account, move_form=form)


@administrator_required
@require_POST
def account_invite(request, pk):
    account = get_object_or_404(User, pk=pk, is_active=True)
    services.send_invitation(user=account, by=request.user)
    messages.success(request, _("邀请已重新发送,之前的链接随即失效。"))
    return redirect("manage:account-detail", pk=pk)


@administrator_required
@require_http_methods(["GET", "POST"])
def account_import(request):
    return import_session.upload_step(
        request,
        AccountImportForm(request.POST or None, request.FILES or None),
        key=IMPORT_SESSION_KEY,
        read=read_account_rows,
        preview=_import_preview,
        template="office/account_import.html",
    )


def _import_preview(request, rows, filename, token):
    plan = plan_account_import([(line, row) for line, row in rows])
    return render(
        request,
        "office/account_import_preview.html",
        {"plan": plan, "filename": filename, "token": token},
    )


@administrator_required
@require_POST
def account_import_apply(request):
    return import_session.apply_step(
        request,
        key=IMPORT_SESSION_KEY,
        plan=plan_account_import,
        apply=lambda plan, _stored: apply_account_import(plan=plan, by=request.user),
        preview=_import_preview,
        done=_imported,
        upload_url="manage:account-import",
    )


def _imported(request, created):
    messages.success(request, _("已创建 %(n)d 个账户,邀请邮件已发出。") % {"n": len(created)})
    return redirect("manage:accounts")
