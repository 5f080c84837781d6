from django.urls import path

from dalun.ledger import exchange_views, views

urlpatterns = [
    path("ledger/<int:unit_id>/<slug:campaign_key>/", views.ledger_detail, name="ledger-detail"),
    path(
        "ledger/<int:unit_id>/<slug:campaign_key>/problems/new/", views.problem_create, name="problem-create"
    ),
    path("ledger/<int:unit_id>/<slug:campaign_key>/signoff/", views.ledger_signoff, name="ledger-signoff"),
    path("ledger/<int:unit_id>/<slug:campaign_key>/measures/", views.measure_list, name="measure-list"),
    path("ledger/<int:unit_id>/<slug:campaign_key>/problems/", views.problem_list, name="problem-list"),
    path(
        "ledger/<int:unit_id>/<slug:campaign_key>/export/", exchange_views.ledger_export, name="ledger-export"
    ),
    path(
        "ledger/<int:unit_id>/<slug:campaign_key>/import/",
        exchange_views.ledger_import_view,
        name="ledger-import",
    ),
    path("ledger/problems/<int:problem_id>/measures/new/", views.measure_create, name="measure-create"),
    path("ledger/measures/<int:measure_id>/", views.measure_detail, name="measure-detail"),
    path("ledger/measures/<int:measure_id>/progress/", views.measure_progress, name="measure-progress"),
    path("ledger/measures/<int:measure_id>/evidence/", views.evidence_upload, name="evidence-upload"),
    path(
        "ledger/measures/<int:measure_id>/close/", views.measure_request_close, name="measure-request-close"
    ),
    path("ledger/measures/<int:measure_id>/verify/", views.measure_verify, name="measure-verify"),
    path("ledger/key-links/<int:obligation_id>/report/", views.keylink_report, name="keylink-report"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence-download"),
]
