"""Public addresses of this app; config/urls.py puts them in the `results` namespace
(/results/search/ → results:search), beside reform_cases' results pages."""

from django.urls import path

from case_text.views import public as views

results_patterns = [path("search/", views.search, name="search")]
