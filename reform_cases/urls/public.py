"""Public addresses: the home page, results, public cases, calls for entries, open data."""

from django.urls import path

from reform_cases.views import public as views

home_patterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
]

results_patterns = [
    path("", views.campaign_list, name="list"),
    path("<int:year>/", views.results_year, name="year"),
    path("<int:year>/export.csv", views.export_csv, name="export-csv"),
    path("<int:year>/export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("<int:year>/stats/", views.statistics, name="stats"),
    path("<int:year>/objection/", views.objection, name="objection"),
]

case_patterns = [path("<int:pk>/", views.case_detail, name="detail")]

call_patterns = [
    path("<int:year>/", views.call_for_entries, name="detail"),
    path("<int:year>/files/<int:file_pk>/", views.call_file, name="file"),
]

api_patterns = [
    path("results/<int:year>.json", views.open_data, name="results"),
    path("results/<int:year>/manifest.json", views.results_manifest, name="manifest"),
]
