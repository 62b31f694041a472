from django.urls import path

from . import campaign_views, check_views, manage_views, publication_views

urlpatterns = [
    path("", campaign_views.dashboard, name="dashboard"),
    path("campaigns/new/", campaign_views.campaign_edit, name="campaign-create"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaign_views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/status/", campaign_views.campaign_status, name="campaign-status"),
    path("campaigns/<int:pk>/files/", campaign_views.campaign_file_add, name="campaign-file-add"),
    path(
        "campaigns/<int:pk>/files/<int:file_pk>/delete/",
        campaign_views.campaign_file_remove,
        name="campaign-file-remove",
    ),
    path("campaigns/<int:pk>/cases/", check_views.submission_list, name="submissions"),
    path(
        "campaigns/<int:pk>/cases/export.xlsx",
        check_views.submission_export,
        name="submissions-export",
    ),
    path("campaigns/<int:pk>/cases/bulk/", check_views.submission_bulk, name="submissions-bulk"),
    path("cases/<int:pk>/", check_views.case_check_detail, name="case-detail"),
    path("cases/<int:pk>/accept/", check_views.case_accept, name="case-accept"),
    path("cases/<int:pk>/return/", check_views.case_return, name="case-return"),
    path("cases/<int:pk>/ineligible/", check_views.case_ineligible, name="case-ineligible"),
    path("campaigns/<int:pk>/objections/", publication_views.objection_list, name="objections"),
    path("campaigns/<int:pk>/publish/", publication_views.publish, name="publish"),
    path(
        "objections/<int:pk>/answer/", publication_views.objection_answer, name="objection-answer"
    ),
    path("objections/<int:pk>/file/", publication_views.objection_file, name="objection-file"),
    path("cases/<int:pk>/correct/", publication_views.case_correct, name="case-correct"),
    path("results/import/", manage_views.results_import, name="results-import"),
    path("results/import/apply/", manage_views.results_import_apply, name="results-import-apply"),
]
