from django.urls import path

from dalun.formalism import views

urlpatterns = [
    path("alerts/", views.alert_list, name="formalism-alerts"),
    path("alerts/scan/", views.scan_now, name="formalism-scan"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="formalism-alert"),
    path("alerts/<int:alert_id>/confirm/", views.alert_confirm, name="formalism-alert-confirm"),
    path("alerts/<int:alert_id>/dismiss/", views.alert_dismiss, name="formalism-alert-dismiss"),
]
