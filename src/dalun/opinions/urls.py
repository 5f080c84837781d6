from django.urls import path

from dalun.opinions import staff_views, views

urlpatterns = [
    path("portal/maps/", views.public_list, name="opinion-public-list"),
    path("portal/maps/<int:map_id>/", views.vote_page, name="opinion-vote"),
    path("portal/maps/<int:map_id>/vote/", views.vote, name="opinion-vote-cast"),
    path("portal/maps/<int:map_id>/statements/", views.submit_statement, name="opinion-submit"),
    path("portal/maps/<int:map_id>/map/", views.results, name="opinion-results"),
    path("opinions/", staff_views.map_list, name="opinion-maps"),
    path("opinions/new/", staff_views.map_create, name="opinion-create"),
    path("opinions/import/", staff_views.map_import, name="opinion-import"),
    path("opinions/<int:map_id>/", staff_views.map_manage, name="opinion-manage"),
    path("opinions/<int:map_id>/act/", staff_views.map_act, name="opinion-act"),
    path("opinions/<int:map_id>/export/", staff_views.map_export, name="opinion-export"),
]
