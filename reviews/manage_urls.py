from django.urls import path

from . import manage_views as v
from . import ranking_views as rv

urlpatterns = [
    path("experts/", v.expert_list, name="experts"),
    path("experts/import/", v.expert_import, name="expert-import"),
    path("experts/import/apply/", v.expert_import_apply, name="expert-import-apply"),
    path("experts/<int:pk>/", v.expert_edit, name="expert-edit"),
    path("campaigns/<int:pk>/panels/", v.panels, name="panels"),
    path("panels/<int:pk>/", v.panel_edit, name="panel-edit"),
    path("campaigns/<int:pk>/rubric/", v.rubric, name="rubric"),
    path("campaigns/<int:pk>/rounds/", v.rounds, name="rounds"),
    path("rounds/<int:pk>/", v.round_edit, name="round-edit"),
    path("rounds/<int:pk>/add-cases/", v.round_add_cases, name="round-add-cases"),
    path("rounds/<int:pk>/assign/", v.assign, name="assign"),
    path("rounds/<int:pk>/assign/add/", v.assign_add, name="assign-add"),
    path("rounds/<int:pk>/assign/case/<int:case_pk>/", v.assign_case, name="assign-case"),
    path(
        "rounds/<int:pk>/assign/<int:assignment_pk>/remove/", v.assign_remove, name="assign-remove"
    ),
    path("rounds/<int:pk>/assign/confirm/", v.assign_confirm, name="assign-confirm"),
    path("rounds/<int:pk>/assign/auto/", v.assign_auto, name="assign-auto"),
    path("rounds/<int:pk>/assign/fill-gap/", v.assign_fill_gap, name="assign-fill-gap"),
    path("rounds/<int:pk>/assign/<int:assignment_pk>/swap/", v.assign_swap, name="assign-swap"),
    path("rounds/<int:pk>/conflicts/", v.conflict_record, name="conflict-record"),
    path("rounds/<int:pk>/progress/", v.progress, name="progress"),
    path("rounds/<int:pk>/progress/<int:expert_pk>/", v.progress_expert, name="progress-expert"),
    path("rounds/<int:pk>/reopen/", v.review_reopen, name="review-reopen"),
    path("rounds/<int:pk>/ranking/", rv.ranking_page, name="ranking"),
    path("rounds/<int:pk>/ranking/compute/", rv.ranking_compute, name="ranking-compute"),
    path("rounds/<int:pk>/ranking/tie-break/", rv.ranking_tie_break, name="ranking-tie-break"),
    path(
        "rounds/<int:pk>/ranking/<int:entry_pk>/override/",
        rv.ranking_override,
        name="ranking-override",
    ),
    path("rounds/<int:pk>/ranking/lock/", rv.ranking_lock, name="ranking-lock"),
    path("rounds/<int:pk>/ranking/shortlist/", rv.ranking_shortlist, name="ranking-shortlist"),
    path("rounds/<int:pk>/ranking/notice/", rv.ranking_notice, name="ranking-notice"),
    path("rounds/<int:pk>/ranking/export.xlsx", rv.ranking_export, name="ranking-export"),
]
