"""The chat HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .pagination import HistoryPagination
from .serializers import ConversationInput, ConversationOutput, MessageInput, MessageOutput, ReadInput


def _conversation_payload(conversations, user_id) -> list[dict]:
    conversations = list(conversations)
    context = {"people": selectors.people({uid for c in conversations for uid in c.participants}),
               "last_messages": selectors.last_messages(conversations)}
    return ConversationOutput(conversations, many=True, context=context).data


class ConversationsView(APIView):
    @extend_schema(responses={200: ConversationOutput(many=True)})
    def get(self, request):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(selectors.conversations_of(request.user.id), request, view=self)
        return paginator.get_paginated_response(_conversation_payload(page, request.user.id))

    @extend_schema(request=ConversationInput, responses={201: ConversationOutput, 200: ConversationOutput})
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
    @extend_schema(responses={200: MessageOutput(many=True)})
    def get(self, request, conversation_id):
        conversation = _participant_conversation(request, conversation_id)
        paginator = HistoryPagination()
        page = paginator.paginate_queryset(selectors.history(conversation), request, view=self)
        return paginator.get_paginated_response(MessageOutput(page, many=True).data)

    @extend_schema(request=MessageInput, responses={201: MessageOutput, 200: MessageOutput})
    def post(self, request, conversation_id):
        values = validated_input(MessageInput, request)
        message, created = services.send_message(conversation_id=conversation_id, sender_id=request.user.id,
                                                 sender_name=request.user.username, **values)
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReadView(APIView):
    @extend_schema(request=ReadInput, responses={204: OpenApiResponse(description="Read up to that message")})
    def post(self, request, conversation_id):
        services.mark_read(conversation_id=conversation_id, user_id=request.user.id,
                           **validated_input(ReadInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)
