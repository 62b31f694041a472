"""/manage/ pages of the review: experts, panels, rounds, assignment, progress, ranking."""

from django.urls import path

from reviews.views.office import assignment, bundles, panels, progress, ranking, rounds, watermarks

urlpatterns = [
    path("experts/", panels.expert_list, name="experts"),
    path("experts/import/", panels.expert_import, name="expert-import"),
    path("experts/import/apply/", panels.expert_import_apply, name="expert-import-apply"),
    path("experts/<int:pk>/", panels.expert_edit, name="expert-edit"),
    path("watermarks/", watermarks.watermark_lookup, name="watermark-lookup"),
    path("campaigns/<int:pk>/panels/", panels.panels, name="panels"),
    path("panels/<int:pk>/", panels.panel_edit, name="panel-edit"),
    path("campaigns/<int:pk>/rubric/", rounds.rubric, name="rubric"),
    path("campaigns/<int:pk>/rounds/", rounds.rounds, name="rounds"),
    path("rounds/<int:pk>/", rounds.round_edit, name="round-edit"),
    path("rounds/<int:pk>/add-cases/", rounds.round_add_cases, name="round-add-cases"),
    path("rounds/<int:pk>/assign/", assignment.assign, name="assign"),
    path("rounds/<int:pk>/assign/add/", assignment.assign_add, name="assign-add"),
    path("rounds/<int:pk>/assign/case/<int:case_pk>/", assignment.assign_case, name="assign-case"),
    path(
        "rounds/<int:pk>/assign/<int:assignment_pk>/remove/",
        assignment.assign_remove,
        name="assign-remove",
    ),
    path("rounds/<int:pk>/assign/confirm/", assignment.assign_confirm, name="assign-confirm"),
    path("rounds/<int:pk>/assign/auto/", assignment.assign_auto, name="assign-auto"),
    path("rounds/<int:pk>/assign/fill-gap/", assignment.assign_fill_gap, name="assign-fill-gap"),
    path(
        "rounds/<int:pk>/assign/<int:assignment_pk>/swap/",
        assignment.assign_swap,
        name="assign-swap",
    ),
    path("rounds/<int:pk>/conflicts/", assignment.conflict_record, name="conflict-record"),
    path("rounds/<int:pk>/progress/", progress.progress, name="progress"),
    path(
        "rounds/<int:pk>/progress/<int:expert_pk>/",
        progress.progress_expert,
        name="progress-expert",
    ),
    path("rounds/<int:pk>/reopen/", progress.review_reopen, name="review-reopen"),
    path("rounds/<int:pk>/ranking/", ranking.ranking_page, name="ranking"),
    path("rounds/<int:pk>/ranking/compute/", ranking.ranking_compute, name="ranking-compute"),
    path("rounds/<int:pk>/ranking/tie-break/", ranking.ranking_tie_break, name="ranking-tie-break"),
    path(
        "rounds/<int:pk>/ranking/<int:entry_pk>/override/",
        ranking.ranking_override,
        name="ranking-override",
    ),
    path("rounds/<int:pk>/ranking/start/", ranking.ranking_start, name="ranking-start"),
    path("rounds/<int:pk>/ranking/lock/", ranking.ranking_lock, name="ranking-lock"),
    path("rounds/<int:pk>/ranking/reopen/", ranking.ranking_reopen, name="ranking-reopen"),
    path("rounds/<int:pk>/ranking/shortlist/", ranking.ranking_shortlist, name="ranking-shortlist"),
    path("rounds/<int:pk>/ranking/notice/", ranking.ranking_notice, name="ranking-notice"),
    path("rounds/<int:pk>/ranking/export.xlsx", ranking.ranking_export, name="ranking-export"),
    path("rounds/<int:pk>/bundles/", bundles.bundle_request, name="bundle-request"),
    path("bundles/<int:pk>/download/", bundles.bundle_download, name="bundle-download"),
]
