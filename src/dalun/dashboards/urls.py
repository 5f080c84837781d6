from django.urls import path

from dalun.dashboards import views

urlpatterns = [
    path("dashboard/<int:unit_id>/<slug:campaign_key>/", views.dashboard_view, name="dashboard"),
]
