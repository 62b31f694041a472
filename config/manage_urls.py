"""/manage/: the organising office's pages from every app, under one namespace."""

from accounts.urls.office import urlpatterns as account_patterns
from case_text.urls.office import urlpatterns as case_text_patterns
from reform_cases.urls.office import urlpatterns as campaign_patterns
from reviews.urls.office import urlpatterns as review_patterns

app_name = "manage"

urlpatterns = campaign_patterns + account_patterns + review_patterns + case_text_patterns
