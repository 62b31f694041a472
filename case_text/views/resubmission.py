"""/manage/resemblances/<id>/: two cases whose texts resemble each other (重复申报), side by
side with the shared passages marked, and the office's verdict. The office's pages only: the
locality is never told which case its own resembles."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import administrator_required
from case_text.models import ResemblancePair, ResemblanceVerdict
from case_text.resubmission import selectors, services
from case_text.resubmission.forms import VerdictForm
from case_text.resubmission.text import SHINGLE_SIZE


def _pair_or_404(pk) -> ResemblancePair:
    try:
        return selectors.pair_with_cases(pk)
    except ResemblancePair.DoesNotExist:
        raise Http404 from None


def _page(request, pair, form, status=200):
    return render(
        request,
        "office/resubmission/pair.html",
        {
            "pair": pair,
            "texts": selectors.side_by_side(pair),
            "form": form,
            "threshold": round(services.THRESHOLD * 100),
            "shingle_size": SHINGLE_SIZE,
        },
        status=status,
    )


@administrator_required
@require_GET
def resemblance_detail(request, pk):
    pair = _pair_or_404(pk)
    initial = {"note": pair.note}
    if pair.verdict != ResemblanceVerdict.PENDING:
        initial["verdict"] = pair.verdict
    return _page(request, pair, VerdictForm(initial=initial))


@administrator_required
@require_POST
def resemblance_verdict(request, pk):
    pair = _pair_or_404(pk)
    form = VerdictForm(request.POST)
    if form.is_valid():
        try:
            services.record_verdict(
                pair=pair,
                by=request.user,
                verdict=form.cleaned_data["verdict"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已记录核实结果。"))
            return redirect("manage:resemblance", pk=pair.pk)
    return _page(request, pair, form)
