from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications.models import Notification
from notifications.services import mark_read


@login_required
def inbox(request):
    page = Paginator(
        Notification.objects.filter(recipient=request.user).only(
            "subject", "body", "link", "created_at", "read_at", "kind"
        ),
        25,
    ).get_page(request.GET.get("page"))
    return render(request, "signed_in/inbox.html", {"page": page})


@login_required
@require_POST
def mark_all_read(request):
    mark_read(user=request.user)
    return redirect("notifications:inbox")
