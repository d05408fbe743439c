"""Reads of the chat service."""

from __future__ import annotations

import uuid

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, prefetch_related_objects

from .models import ChatFile, Conversation, Message, Person, ReadState


def conversation_for(conversation_id, user_id) -> Conversation | None:
    """The conversation if ``user_id`` takes part in it; None (a 404) for anyone else."""
    try:
        uuid.UUID(str(conversation_id))
    except ValueError:
        return None
    return Conversation.objects.filter(Q(user_low=user_id) | Q(user_high=user_id), pk=conversation_id).first()


def conversations_of(user_id) -> QuerySet[Conversation]:
    """Latest activity first, each with ``unread_count`` for ``user_id``."""
    my_read = ReadState.objects.filter(conversation=OuterRef("pk"), user_id=user_id).values("last_read_seq")[:1]
    return (Conversation.objects.filter(Q(user_low=user_id) | Q(user_high=user_id))
            .annotate(unread_count=F("message_count") - Subquery(my_read))
            .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "id"))


def last_messages(conversations) -> dict:
    by_conversation = {}
    for conversation in conversations:
        if conversation.message_count:
            by_conversation[conversation.pk] = Message.objects.filter(conversation=conversation,
                                                                      seq=conversation.message_count).first()
    prefetch_related_objects([message for message in by_conversation.values() if message], "files")
    return by_conversation


def people(user_ids) -> dict[str, Person]:
    return {str(person.user_id): person for person in Person.objects.filter(pk__in=list(user_ids))}


def history(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).prefetch_related("files")


def file_for(conversation: Conversation, file_id, user_id) -> ChatFile | None:
    """A file of the conversation the caller may fetch: a sent one, or their own upload not sent yet."""
    try:
        uuid.UUID(str(file_id))
    except ValueError:
        return None
    return (ChatFile.objects.filter(conversation=conversation, pk=file_id)
            .filter(Q(message__isnull=False) | Q(uploaded_by=user_id)).first())
