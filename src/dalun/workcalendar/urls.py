from django.urls import path

from dalun.workcalendar import views

urlpatterns = [
    path("calendar/", views.calendar_year, name="workcalendar-year"),
    path("calendar/days/", views.official_day_set_view, name="workcalendar-day-set"),
    path("calendar/days/remove/", views.official_day_remove_view, name="workcalendar-day-remove"),
    path("calendar/import/", views.official_days_import_view, name="workcalendar-import"),
]
