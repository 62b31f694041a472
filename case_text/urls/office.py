"""/manage/ addresses of this app (assembled in config/manage_urls.py)."""

from django.urls import path

from case_text.views import office as views
from case_text.views import resubmission

urlpatterns = [
    path("campaigns/<int:pk>/search/", views.campaign_search, name="campaign-search"),
    path("resemblances/<int:pk>/", resubmission.resemblance_detail, name="resemblance"),
    path(
        "resemblances/<int:pk>/verdict/",
        resubmission.resemblance_verdict,
        name="resemblance-verdict",
    ),
]
