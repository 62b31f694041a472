"""Addresses by audience: public, locality (/cases/mine/), expert (/review/), office (/manage/)
and every signed-in user (/accounts/, /notifications/, shared downloads)."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language

from case_text.urls import public as case_text_public_urls
from common.health import healthz_view
from reform_cases.urls import locality as locality_urls
from reform_cases.urls import public as public_urls
from reform_cases.urls import signed_in as signed_in_urls


class FaviconRedirect(RedirectView):
    """/favicon.ico → the static SVG icon (its hashed name in production, so read per request)."""

    permanent = False
    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


# /cases/<id>/ is public, /cases/mine/ the locality's, /cases/attachments/ shared.
case_patterns = (
    public_urls.case_patterns + locality_urls.case_patterns + signed_in_urls.case_patterns
)
# /results/search/ (case_text) sits beside reform_cases' results pages in one namespace:
# reform_cases does not import case_text.
results_patterns = case_text_public_urls.results_patterns + public_urls.results_patterns

urlpatterns = [
    path("", include(public_urls.home_patterns)),
    path("results/", include((results_patterns, "results"))),
    path("cases/", include((case_patterns, "cases"))),
    path("calls/", include((public_urls.call_patterns, "calls"))),
    path("api/", include((public_urls.api_patterns, "api"))),
    path("manage/", include("config.manage_urls")),
    path("accounts/", include("accounts.urls.signed_in")),
    path("notifications/", include("notifications.urls")),
    path("review/", include("reviews.urls.expert")),
    # Choosing a language changes nothing but a cookie; exempting it from CSRF
    # lets public pages be cached whole, without a per-visitor token.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the static icon.
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    # The load balancer's probe is answered by common.health.HealthProbeMiddleware before it
    # gets here; this view serves /healthz?detail=1 (each check, to an administrator).
    path("healthz", healthz_view, name="healthz"),
    path("admin/", admin.site.urls),
]
