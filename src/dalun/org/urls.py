from django.urls import path

from dalun.org import views

urlpatterns = [
    path("units/", views.unit_tree, name="unit-tree"),
    path("units/search/", views.unit_search, name="unit-search"),
    path("units/import/", views.unit_import, name="unit-import"),
    path("units/import/<int:job_id>/", views.unit_import_detail, name="unit-import-detail"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit-detail"),
    path("units/<int:unit_id>/children/", views.unit_tree_children, name="unit-tree-children"),
    path("units/<int:unit_id>/edit/", views.unit_edit, name="unit-edit"),
]
