from django.urls import path

from dalun.campaigns import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_create_view, name="campaign-create"),
    path("campaigns/<slug:key>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:key>/deploy/", views.campaign_deploy_view, name="campaign-deploy"),
]
