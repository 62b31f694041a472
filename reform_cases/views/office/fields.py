"""The office's pages of the fields of reform (申报领域) under /manage/fields/."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import administrator_required
from reform_cases.fields import rules, selectors, services
from reform_cases.fields.forms import FieldForm
from reform_cases.models import Field
from reform_cases.publication.public_names import field_public_campaigns


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal onto the form, by field where it names one: what was typed stays."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@administrator_required
def field_list(request):
    return render(request, "office/field_list.html", {"fields": selectors.fields_for_listing()})


@administrator_required
@require_http_methods(["GET", "POST"])
def field_create(request):
    form = FieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            field = services.create_field(
                by=request.user, name=data["name"], name_en=data["name_en"], order=data["order"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已新建领域“%(name)s”。") % {"name": field.name})
            return redirect("manage:fields")
    return render(request, "office/form_page.html", {"form": form, "page_title": _("新建领域")})


@administrator_required
@require_http_methods(["GET", "POST"])
def field_detail(request, pk):
    field = get_object_or_404(Field, pk=pk)
    form = FieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        before = services.state_of(field)
        try:
            updated = services.update_field(
                field=field,
                by=request.user,
                name=data["name"],
                name_en=data["name_en"],
                order=data["order"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if services.state_of(updated) != before:
                messages.success(request, _("领域已保存并记录。"))
            else:
                messages.info(request, _("没有改动。"))
            return redirect("manage:field-detail", pk=updated.pk)
    return render(
        request,
        "office/field_detail.html",
        {
            "reform_field": field,  # not "field": crispy's templates loop over `field`
            "form": form,
            "public_campaigns": field_public_campaigns(field),
            "history": selectors.field_history(field),
            "can_delete": rules.can_delete_field.test(request.user, field),
            "refusal": services.refusal_to_delete(field),
        },
    )


@administrator_required
@require_POST
def field_delete(request, pk):
    field = Field.objects.filter(pk=pk).first()
    if field is None:  # deleted by the first of two clicks, or never there
        messages.info(request, _("该领域已不存在(可能已被删除)。"))
        return redirect("manage:fields")
    name = field.name
    try:
        services.delete_field(field=field, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manage:field-detail", pk=pk)
    messages.success(request, _("已删除领域“%(name)s”,记录已保留。") % {"name": name})
    return redirect("manage:fields")
