from django.urls import path

from dalun.audit import views

urlpatterns = [
    path("history/<str:object_type>/<str:object_id>/", views.object_history, name="object-history"),
]
