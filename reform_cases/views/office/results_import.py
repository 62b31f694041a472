"""The organising office's pages for completing historical results from a file."""

from django.contrib import messages
from django.core.exceptions import ValidationError
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
    stored = import_session.take(request, SESSION_KEY)
    if stored is None:
        messages.error(request, _("导入预览已过期,请重新上传文件。"))
        return redirect("manage:results-import")
    # Check again: the database may have changed since the preview.
    plan = plan_import([(line, row) for line, row in stored["rows"]])
    if not plan.ok:
        return _preview(request, stored["rows"], stored["filename"], stored["token"])
    try:
        counts = publication_results_import.apply_import(
            plan=plan, by=request.user, source=stored["filename"]
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return _preview(request, stored["rows"], stored["filename"], stored["token"])
    import_session.discard(request, SESSION_KEY)
    messages.success(
        request,
        _("导入完成:新增 %(create)d 个,更正 %(update)d 个,未变 %(unchanged)d 个。") % counts,
    )
    return redirect("manage:results-import")
