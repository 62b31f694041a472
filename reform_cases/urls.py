from django.urls import path

from . import manage_views, views

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

manage_urls = (
    [
        path("results/import/", manage_views.results_import, name="results-import"),
        path(
            "results/import/apply/", manage_views.results_import_apply, name="results-import-apply"
        ),
    ],
    "manage",
)
