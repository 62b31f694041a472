from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from reform_cases import urls as case_urls
from reform_cases import views as public_views

urlpatterns = [
    path("", public_views.home, name="home"),
    path("results/", include(case_urls.results_urls)),
    path("cases/", include(case_urls.cases_urls)),
    path("calls/", include(case_urls.calls_urls)),
    path("api/", include(case_urls.api_urls)),
    path("manage/", include("config.manage_urls")),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("review/", include("reviews.urls")),
    # Choosing a language changes nothing but a cookie; exempting it from CSRF
    # lets public pages be cached whole, without a per-visitor token.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
