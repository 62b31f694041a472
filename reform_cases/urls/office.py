"""/manage/ pages of campaigns, the formal check and publication."""

from django.urls import path

from reform_cases.views.office import campaigns, fields, formal_check, publication, results_import

urlpatterns = [
    path("", campaigns.dashboard, name="dashboard"),
    path("campaigns/new/", campaigns.campaign_edit, name="campaign-create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/status/", campaigns.campaign_status, name="campaign-status"),
    path("campaigns/<int:pk>/organiser/", campaigns.campaign_organiser, name="campaign-organiser"),
    path("campaigns/<int:pk>/files/", campaigns.campaign_file_add, name="campaign-file-add"),
    path(
        "campaigns/<int:pk>/files/<int:file_pk>/delete/",
        campaigns.campaign_file_remove,
        name="campaign-file-remove",
    ),
    path("campaigns/<int:pk>/cases/", formal_check.submission_list, name="submissions"),
    path(
        "campaigns/<int:pk>/cases/export.xlsx",
        formal_check.submission_export,
        name="submissions-export",
    ),
    path("campaigns/<int:pk>/cases/bulk/", formal_check.submission_bulk, name="submissions-bulk"),
    path("cases/<int:pk>/", formal_check.formal_check_case_detail, name="case-detail"),
    path(
        "cases/<int:pk>/application-form/",
        formal_check.case_application_form,
        name="case-application-form",
    ),
    path("cases/<int:pk>/accept/", formal_check.case_accept, name="case-accept"),
    path("cases/<int:pk>/return/", formal_check.case_return, name="case-return"),
    path("cases/<int:pk>/ineligible/", formal_check.case_ineligible, name="case-ineligible"),
    path(
        "cases/<int:pk>/attachments/<int:attachment_pk>/visibility/",
        formal_check.attachment_visibility,
        name="attachment-visibility",
    ),
    path("campaigns/<int:pk>/objections/", publication.objection_list, name="objections"),
    path("campaigns/<int:pk>/publish/", publication.publish, name="publish"),
    path("campaigns/<int:pk>/notice/", publication.notice_change, name="notice-change"),
    path("objections/<int:pk>/answer/", publication.objection_answer, name="objection-answer"),
    path("objections/<int:pk>/file/", publication.objection_file, name="objection-file"),
    path("cases/<int:pk>/correct/", publication.case_correct, name="case-correct"),
    path("results/import/", results_import.results_import, name="results-import"),
    path("results/import/apply/", results_import.results_import_apply, name="results-import-apply"),
    path("fields/", fields.field_list, name="fields"),
    path("fields/new/", fields.field_create, name="field-create"),
    path("fields/<int:pk>/", fields.field_detail, name="field-detail"),
    path("fields/<int:pk>/delete/", fields.field_delete, name="field-delete"),
]
