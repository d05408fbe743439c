from django.urls import path

from . import api

urlpatterns = [
    path("conversations/", api.ConversationsView.as_view(), name="conversations"),
    path("conversations/<uuid:conversation_id>/messages/", api.MessagesView.as_view(), name="messages"),
    path("conversations/<uuid:conversation_id>/read", api.ReadView.as_view(), name="read"),
]
