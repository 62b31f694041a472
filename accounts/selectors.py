from django.db.models import Q, QuerySet

from accounts.models import User


def accounts_for_listing(*, query: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("organisation__parent").order_by("role", "username")
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
            | Q(organisation__name__icontains=query)
        )
    if role:
        qs = qs.filter(role=role)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs
