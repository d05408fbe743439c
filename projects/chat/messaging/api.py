"""The chat HTTP API: parse, call a service or selector, render."""

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.authentication import require_verified_email
from marketplace_libs.errors import NotFound
from marketplace_libs.files.storage import file_storage
from marketplace_libs.files.uploads import receive_file
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .pagination import HistoryPagination
from .serializers import (
    ChatFileOutput, ConversationInput, ConversationOutput, MessageInput, MessageOutput, ReadInput,
)


def _conversation_payload(conversations, user_id) -> list[dict]:
    conversations = list(conversations)
    context = {"people": selectors.people({uid for c in conversations for uid in c.participants}),
               "last_messages": selectors.last_messages(conversations)}
    return ConversationOutput(conversations, many=True, context=context).data


class ConversationsView(APIView):
    pagination_class = StandardPagination

    @extend_schema(summary="The caller's conversations, the latest message first",
                   responses={200: ConversationOutput(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.conversations_of(request.user.id), request, view=self)
        return paginator.get_paginated_response(_conversation_payload(page, request.user.id))

    @extend_schema(summary="Start (or find) the conversation with someone, about a gig or an order",
                   description="201 when started, 200 when the same conversation existed.",
                   request=ConversationInput, responses={201: ConversationOutput, 200: ConversationOutput})
    def post(self, request):
        conversation, created = services.start_conversation(user_id=request.user.id, username=request.user.username,
                                                            **validated_input(ConversationInput, request))
        conversation = selectors.conversations_of(request.user.id).get(pk=conversation.pk)
        return Response(_conversation_payload([conversation], request.user.id)[0],
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _participant_conversation(request, conversation_id):
    conversation = selectors.conversation_for(conversation_id, request.user.id)
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


class MessagesView(APIView):
    pagination_class = HistoryPagination

    @extend_schema(summary="A conversation's messages, newest first (a cursor page)",
                   responses={200: MessageOutput(many=True)})
    def get(self, request, conversation_id):
        conversation = _participant_conversation(request, conversation_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.history(conversation), request, view=self)
        return paginator.get_paginated_response(MessageOutput(page, many=True).data)

    @extend_schema(summary="Send a message", request=MessageInput,
                   description="201 when stored; 200 with the first message when its `client_id` was sent before "
                               "(a retry is safe). Also pushed to the participants' sockets.",
                   responses={201: MessageOutput, 200: MessageOutput},
                   examples=[OpenApiExample("A message", request_only=True, value={
                       "body": "Hi! Could the logo be green?", "client_id": "c-42"})])
    @problem_answers((403, "`email_unverified`: the sender's email address is not confirmed yet."),
                     (429, "At most a few messages every few seconds: wait `Retry-After` seconds."))
    def post(self, request, conversation_id):
        require_verified_email(request.user)
        values = validated_input(MessageInput, request)
        message, created = services.send_message(conversation_id=conversation_id, sender_id=request.user.id,
                                                 sender_name=request.user.username, **values)
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReadView(APIView):
    @extend_schema(summary="Mark the conversation read up to a message", request=ReadInput,
                   responses={204: OpenApiResponse(description="Read up to that message")})
    def post(self, request, conversation_id):
        services.mark_read(conversation_id=conversation_id, user_id=request.user.id,
                           **validated_input(ReadInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationFilesView(APIView):
    parser_classes = [MultiPartParser, JSONParser]  # JSON: to answer 400 "send a file", not 415

    @extend_schema(summary="Upload a file to send in this conversation (a participant)",
                   description="The multipart field `file`, at most MARKETPLACE_MAX_UPLOAD_MB. Then send it: "
                               "`file_ids` of POST .../messages/ or the socket's `message.send`.",
                   request={"multipart/form-data": {"type": "object", "properties": {
                       "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
                   responses={201: ChatFileOutput})
    @problem_answers(413)
    def post(self, request, conversation_id):
        conversation = _participant_conversation(request, conversation_id)  # before a byte is read
        chat_file = services.upload_file(conversation=conversation, user_id=request.user.id,
                                         upload=receive_file(request))
        return Response(ChatFileOutput(chat_file).data, status=status.HTTP_201_CREATED)


def _file_redirect(request, conversation_id, file_id, *, thumbnail: bool):
    chat_file = selectors.file_for(_participant_conversation(request, conversation_id), file_id, request.user.id)
    if chat_file is None or (thumbnail and not chat_file.thumbnail_key):
        raise NotFound("No such file.")
    if thumbnail:
        url = file_storage.signed_url(chat_file.thumbnail_key, filename=f"{chat_file.name}.webp",
                                      content_type="image/webp")
    else:
        url = chat_file.download_url()
    return HttpResponseRedirect(request.build_absolute_uri(url))


class ConversationFileView(APIView):
    @extend_schema(summary="Download a file of the conversation: 302 to a link that works for 5 minutes",
                   responses={302: OpenApiResponse(description="Location: the file's short-lived link")})
    def get(self, request, conversation_id, file_id):
        return _file_redirect(request, conversation_id, file_id, thumbnail=False)


class ConversationFileThumbnailView(APIView):
    @extend_schema(summary="An image attachment's thumbnail: 302 to a short-lived link (404 until made)",
                   responses={302: OpenApiResponse(description="Location: the thumbnail's short-lived link")})
    def get(self, request, conversation_id, file_id):
        return _file_redirect(request, conversation_id, file_id, thumbnail=True)
