from django.urls import path

from . import api

urlpatterns = [
    path("conversations/", api.ConversationsView.as_view(), name="conversations"),
    path("conversations/<uuid:conversation_id>/messages/", api.MessagesView.as_view(), name="messages"),
    path("conversations/<uuid:conversation_id>/read", api.ReadView.as_view(), name="read"),
    path("conversations/<uuid:conversation_id>/files", api.ConversationFilesView.as_view(), name="files"),
    path("conversations/<uuid:conversation_id>/files/<uuid:file_id>", api.ConversationFileView.as_view(),
         name="file"),
    path("conversations/<uuid:conversation_id>/files/<uuid:file_id>/thumbnail",
         api.ConversationFileThumbnailView.as_view(), name="file-thumbnail"),
]
