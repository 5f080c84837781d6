from django.urls import path

from dalun.supervision import views

urlpatterns = [
    path("supervision/", views.home, name="supervision-home"),
    path("supervision/<slug:campaign_key>/groups/new/", views.group_create, name="supervision-group-create"),
    path("supervision/<slug:campaign_key>/my-units/", views.my_units, name="supervision-my-units"),
    path("supervision/groups/<int:group_id>/", views.group_detail, name="supervision-group"),
    path("supervision/groups/<int:group_id>/act/", views.group_act, name="supervision-group-act"),
    path(
        "supervision/inspections/<int:inspection_id>/", views.inspection_detail, name="supervision-inspection"
    ),
    path(
        "supervision/inspections/<int:inspection_id>/act/",
        views.inspection_act,
        name="supervision-inspection-act",
    ),
    path("supervision/findings/<int:finding_id>/", views.finding_detail, name="supervision-finding"),
    path(
        "supervision/problems/<int:problem_id>/finding/",
        views.finding_of_problem,
        name="supervision-problem-finding",
    ),
    path(
        "supervision/units/<int:unit_id>/<slug:campaign_key>/findings/",
        views.findings_queue,
        name="supervision-findings",
    ),
    path(
        "supervision/units/<int:unit_id>/<slug:campaign_key>/dashboard/",
        views.dashboard,
        name="supervision-dashboard",
    ),
    path("supervision/evidence/<int:evidence_id>/", views.evidence_download, name="supervision-evidence"),
]
