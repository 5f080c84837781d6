from django.urls import path

from dalun.voices import views

urlpatterns = [
    path("voices/queue/", views.queue, name="voices-queue"),
    path("voices/inbox/", views.inbox, name="voices-inbox"),
    path("voices/notifications/", views.notifications, name="voices-notifications"),
    path("voices/<int:suggestion_id>/", views.suggestion_detail, name="voices-suggestion"),
    path("voices/<int:suggestion_id>/act/", views.suggestion_act, name="voices-act"),
    path("voices/attachments/<int:attachment_id>/", views.attachment_download, name="voices-attachment"),
]
