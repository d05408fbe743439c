from django.urls import path

from . import api

urlpatterns = [
    path("", api.NotificationsView.as_view(), name="notifications"),
    path("unread-count", api.UnreadCountView.as_view(), name="unread-count"),
    path("read-all", api.ReadAllView.as_view(), name="read-all"),
    path("<uuid:notification_id>/read", api.ReadView.as_view(), name="read"),
]
