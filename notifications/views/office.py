from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications.delivery import reset_failed
from notifications.models import DeliveryStatus, Notification
from notifications.services import enqueue


def _administrator(user):
    # notifications calls no other app: the role is read from the user object itself.
    return user.is_authenticated and getattr(user, "is_administrator", False)


@login_required
def outbox(request):
    if not _administrator(request.user):
        raise PermissionDenied
    status = request.GET.get("status", DeliveryStatus.FAILED)
    if status not in DeliveryStatus.values:
        status = DeliveryStatus.FAILED
    page = Paginator(
        Notification.objects.filter(status=status)
        .select_related("recipient")
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    counts = dict(Notification.objects.values_list("status").annotate(n=Count("id")))
    return render(
        request,
        "office/outbox.html",
        {"page": page, "status": status, "counts": counts, "querystring": f"status={status}"},
    )


@login_required
@require_POST
def outbox_resend(request):
    if not _administrator(request.user):
        raise PermissionDenied
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            ids = []
    picked = reset_failed(ids)
    enqueue(picked)
    messages.success(request, _("已重新发送 %(n)d 条通知。") % {"n": len(picked)})
    return redirect(f"{reverse('notifications:outbox')}?status=failed")
