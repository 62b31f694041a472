from django.urls import path

from . import campaign_views, views

results_urls = (
    [
        path("", views.campaign_list, name="list"),
        path("<int:year>/", views.results_year, name="year"),
        path("<int:year>/export.csv", views.export_csv, name="export-csv"),
        path("<int:year>/export.xlsx", views.export_xlsx, name="export-xlsx"),
    ],
    "results",
)

cases_urls = (
    [path("<int:pk>/", views.case_detail, name="detail")],
    "cases",
)

calls_urls = (
    [
        path("<int:year>/", campaign_views.call_for_entries, name="detail"),
        path("<int:year>/files/<int:file_pk>/", campaign_views.call_file, name="file"),
    ],
    "calls",
)
