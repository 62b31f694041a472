"""The organising office's pages for completing historical results from a file."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import administrator_required
from common import import_session
from reform_cases.publication import results_import as publication_results_import
from reform_cases.publication.forms import ResultsImportForm
from reform_cases.publication.results_import import plan_import, read_rows

SESSION_KEY = "results_import"


@administrator_required
@require_http_methods(["GET", "POST"])
def results_import(request):
    return import_session.upload_step(
        request,
        ResultsImportForm(request.POST or None, request.FILES or None),
        key=SESSION_KEY,
        read=read_rows,
        preview=_preview,
        template="office/results_import.html",
    )


def _preview(request, rows, filename, token):
    plan = plan_import([(line, row) for line, row in rows])
    return render(
        request,
        "office/results_import_preview.html",
        {
            "plan": plan,
            "filename": filename,
            "token": token,
            "plan_create": plan.count("create"),
            "plan_update": plan.count("update"),
            "plan_unchanged": plan.count("unchanged"),
        },
    )


@administrator_required
@require_POST
def results_import_apply(request):
    # The plan is checked again: the database may have changed since the preview.
    return import_session.apply_step(
        request,
        key=SESSION_KEY,
        plan=plan_import,
        apply=lambda plan, stored: publication_results_import.apply_import(
            plan=plan, by=request.user, source=stored["filename"]
        ),
        preview=_preview,
        done=_imported,
        upload_url="manage:results-import",
    )


def _imported(request, counts):
    messages.success(
        request,
        _("导入完成:新增 %(create)d 个,更正 %(update)d 个,未变 %(unchanged)d 个。") % counts,
    )
    return redirect("manage:results-import")
