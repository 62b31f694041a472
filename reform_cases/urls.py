from django.urls import path

from . import campaign_views, locality_views, publication_views, views

results_urls = (
    [
        path("", views.campaign_list, name="list"),
        path("<int:year>/", views.results_year, name="year"),
        path("<int:year>/export.csv", views.export_csv, name="export-csv"),
        path("<int:year>/export.xlsx", views.export_xlsx, name="export-xlsx"),
        path("<int:year>/stats/", publication_views.statistics, name="stats"),
        path("<int:year>/objection/", publication_views.objection, name="objection"),
    ],
    "results",
)

cases_urls = (
    [
        path("<int:pk>/", views.case_detail, name="detail"),
        path("mine/", locality_views.my_cases, name="mine"),
        path("new/", locality_views.case_new, name="new"),
        path("mine/<int:pk>/", locality_views.case_mine_detail, name="mine-detail"),
        path("mine/<int:pk>/edit/", locality_views.case_edit, name="edit"),
        path("mine/<int:pk>/submit/", locality_views.case_submit, name="submit"),
        path("mine/<int:pk>/withdraw/", locality_views.case_withdraw, name="withdraw"),
        path("mine/<int:pk>/attachments/", locality_views.attachment_add, name="attachment-add"),
        path(
            "mine/<int:pk>/attachments/<int:attachment_pk>/delete/",
            locality_views.attachment_remove,
            name="attachment-remove",
        ),
        path(
            "attachments/<int:attachment_pk>/",
            locality_views.attachment_download,
            name="attachment",
        ),
    ],
    "cases",
)

calls_urls = (
    [
        path("<int:year>/", campaign_views.call_for_entries, name="detail"),
        path("<int:year>/files/<int:file_pk>/", campaign_views.call_file, name="file"),
    ],
    "calls",
)

api_urls = (
    [path("results/<int:year>.json", publication_views.open_data, name="results")],
    "api",
)
