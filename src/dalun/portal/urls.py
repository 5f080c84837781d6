from django.urls import path

from dalun.portal import views

urlpatterns = [
    path("portal/", views.home, name="portal-home"),
    path("portal/suggestions/", views.suggestion_list, name="portal-suggestions"),
    path("portal/suggestions/<int:suggestion_id>/", views.suggestion_detail, name="portal-suggestion"),
    path("portal/suggestions/<int:suggestion_id>/support/", views.suggestion_support, name="portal-support"),
    path("portal/suggest/", views.suggest, name="portal-suggest"),
    path("portal/receipt/", views.receipt_lookup, name="portal-receipt-lookup"),
    path("portal/receipt/<str:code>/", views.receipt, name="portal-receipt"),
    path("portal/units/<int:unit_id>/", views.disclosure, name="portal-unit"),
]
