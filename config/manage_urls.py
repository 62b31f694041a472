"""/manage/: the organising office's pages from every app, under one namespace."""

from accounts.manage_urls import urlpatterns as account_patterns
from reform_cases.manage_urls import urlpatterns as campaign_patterns
from reviews.manage_urls import urlpatterns as review_patterns

app_name = "manage"

urlpatterns = campaign_patterns + account_patterns + review_patterns
