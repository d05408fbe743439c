"""Every write of the chat service.

A message is stored (and ``message.sent`` written to the outbox) in one transaction, and only
after it commits is anyone told of it: a frame never announces a message that is not there.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone as dt_timezone

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace_libs.errors import InvalidInput, NotFound, RateLimited
from marketplace_libs.files import thumbnails
from marketplace_libs.files.storage import INLINE_TYPES, file_storage, served_inline
from marketplace_libs.files.uploads import store_upload
from marketplace_libs.readmodels import ensure_card, keep_card
from marketplace_libs.times import iso_utc

from . import events, metrics, presence, realtime, send_counter
from .models import ChatFile, Conversation, Message, MessageKind, Person, PresenceState, ReadState

log = structlog.get_logger(__name__)
MAX_FILES_PER_MESSAGE = 10


def message_frame_data(message: Message, files=()) -> dict:
    return {"id": str(message.id), "conversation_id": str(message.conversation_id), "sender_id": str(message.sender_id),
            "kind": message.kind, "body": message.body, "client_id": message.client_id,
            "files": [file_data(f) for f in files], "offer": message.offer, "created_at": iso_utc(message.created_at)}


def file_data(chat_file: ChatFile) -> dict:
    """A file as a message carries it."""
    return {"id": str(chat_file.id), "name": chat_file.name, "size": chat_file.size,
            "content_type": chat_file.content_type, "has_thumbnail": bool(chat_file.thumbnail_key)}


# --- names (read model) --------------------------------------------------------------------------

def record_person(*, user_id, username: str, display_name: str = "", revision: int = 0) -> None:
    keep_card(Person, user_id=user_id, username=username, display_name=display_name, revision=revision)


# --- presence, as others hear of it ---------------------------------------------------------------

def socket_opened(*, user_id) -> bool:
    """After the socket has joined the user's set in Redis: announce them online unless they already are
    (another socket, or a reload within the grace period); True when announced now. The row lock makes
    two sockets opening at once on two processes one announcement."""
    with transaction.atomic():
        state = _locked_presence(user_id)
        if state.online:
            return False
        _announce(state, online=True, at=timezone.now())
    return True


def settle_presence(*, now: datetime | None = None) -> int:
    """The sweep: every user announced online who has had no open socket for the grace period is
    announced offline, as of when they were last seen. Covers the clean last close and a crashed process
    (its sockets stop being renewed and expire). How many went offline."""
    now = now or timezone.now()
    went_offline = 0
    for user_id in PresenceState.objects.filter(online=True).values_list("user_id", flat=True).iterator():
        went_offline += _settle_one(user_id=user_id, now=now)
    return went_offline


def _settle_one(*, user_id, now: datetime) -> bool:
    with transaction.atomic():
        state = PresenceState.objects.select_for_update().filter(pk=user_id, online=True).first()
        # Redis is asked under the row lock: a socket opening meanwhile has joined Redis before it waits for
        # this lock, so either it is seen here, or it finds the user offline and announces them online again.
        if state is None or presence.online([user_id])[str(user_id)]:
            return False
        seen = presence.last_seen(user_id)
        last_seen_at = datetime.fromtimestamp(seen, dt_timezone.utc) if seen is not None else state.changed_at
        last_seen_at = max(last_seen_at, state.changed_at)
        if now - last_seen_at < timedelta(seconds=settings.CHAT_PRESENCE_GRACE_SECONDS):
            return False
        _announce(state, online=False, at=last_seen_at)
    return True


def _locked_presence(user_id) -> PresenceState:
    PresenceState.objects.bulk_create([PresenceState(user_id=user_id)], ignore_conflicts=True)
    return PresenceState.objects.select_for_update().get(pk=user_id)


def _announce(state: PresenceState, *, online: bool, at: datetime) -> None:
    state.online, state.changed_at, state.revision = online, at, state.revision + 1
    state.save()
    events.presence_changed(state)


# --- conversations -------------------------------------------------------------------------------

def start_conversation(*, user_id, username: str, participant_id, gig_id=None, order_id=None
                       ) -> tuple[Conversation, bool]:
    """The conversation of the two users, created if they have none; ``(conversation, created)``."""
    if str(participant_id) == str(user_id):
        raise InvalidInput.on("participant_id", "A conversation needs someone else.")
    if not Person.objects.filter(pk=participant_id).exists():
        raise InvalidInput.on("participant_id", "No such user.")
    ensure_card(Person, user_id=user_id, username=username)
    low, high = sorted([uuid.UUID(str(user_id)), uuid.UUID(str(participant_id))])
    existing = Conversation.objects.filter(user_low=low, user_high=high).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(user_low=low, user_high=high, gig_id=gig_id, order_id=order_id)
            ReadState.objects.bulk_create([ReadState(conversation=conversation, user_id=low),
                                           ReadState(conversation=conversation, user_id=high)])
            events.conversation_started(conversation_id=conversation.pk, participant_ids=conversation.participants,
                                        gig_id=gig_id, order_id=order_id, started_at=conversation.created_at)
        return conversation, True
    except IntegrityError:  # the other user opened it at the same moment
        return Conversation.objects.get(user_low=low, user_high=high), False


def _locked_for_participant(conversation_id, user_id) -> Conversation:
    # get(), not filter().first(): no ORDER BY to compile on the hottest path (every send and read).
    try:
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    except Conversation.DoesNotExist:
        conversation = None
    if conversation is None or str(user_id) not in conversation.participants:
        raise NotFound("No such conversation.")
    return conversation


def _check_send_rate(user_id) -> None:
    if send_counter.count_send(user_id) > settings.CHAT_SEND_LIMIT:
        window = settings.CHAT_SEND_WINDOW_SECONDS
        raise RateLimited(window, f"At most {settings.CHAT_SEND_LIMIT} messages every {window} seconds.")


def send_message(*, conversation_id, sender_id, sender_name: str, body: str, client_id: str | None = None,
                 file_ids=None) -> tuple[Message, bool]:
    """Store a message and tell both participants' sockets; ``(message, created)``. A ``client_id`` the
    sender used before returns that message, stored once. ``file_ids``: files the sender uploaded to
    this conversation and has not sent yet; any other id refuses the whole message."""
    file_ids = _checked_file_ids(file_ids)
    if not body.strip() and not file_ids:
        raise InvalidInput.on("body", "A message cannot be empty.")
    if len(body) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise InvalidInput.on("body", f"A message has at most {settings.CHAT_MESSAGE_MAX_CHARS} characters.")
    if client_id is not None and not 1 <= len(client_id) <= 64:
        raise InvalidInput.on("client_id", "1 to 64 characters.")
    _check_send_rate(sender_id)
    try:
        with transaction.atomic():
            message, conversation = _store_message(conversation_id=conversation_id, sender_id=sender_id, body=body,
                                                   client_id=client_id)
            message.attached_files = _attach_files(message, sender_id=sender_id, file_ids=file_ids) if file_ids else []
            recipient = conversation.other(sender_id)
            events.message_sent(message, conversation=conversation, sender_name=sender_name,
                                recipients_online=presence.online([recipient]))
            frame = {"type": "message.new", "message": message_frame_data(message, message.attached_files)}
            transaction.on_commit(lambda: realtime.push(conversation.participants, frame))
            metrics.count_message_on_commit()
    except IntegrityError:
        # A client_id this sender used before (a retry after a lost acknowledgement, two tabs racing):
        # message_client_id_per_sender refused the second insert and the transaction rolled back, so the
        # resend stores nothing and answers with the first message. Found by the constraint rather than
        # looked up first: one statement less on every send, and no window between lookup and insert.
        if client_id is None:
            raise
        return Message.objects.get(sender_id=sender_id, client_id=client_id), False
    return message, True


def _checked_file_ids(file_ids) -> list[uuid.UUID]:
    if file_ids is None:
        return []
    if not isinstance(file_ids, list) or len(file_ids) > MAX_FILES_PER_MESSAGE:
        raise InvalidInput.on("file_ids", f"A list of at most {MAX_FILES_PER_MESSAGE} file ids.")
    try:
        checked = [uuid.UUID(str(file_id)) for file_id in file_ids]
    except ValueError:
        raise InvalidInput.on("file_ids", "Each file id must be a UUID.") from None
    if len(set(checked)) != len(checked):
        raise InvalidInput.on("file_ids", "A file is attached once.")
    return checked


def _attach_files(message: Message, *, sender_id, file_ids: list[uuid.UUID]) -> list[ChatFile]:
    """Inside the send's transaction: an id that is not the sender's unsent upload to this conversation
    raises, and the message rolls back with it."""
    attached = ChatFile.objects.filter(pk__in=file_ids, conversation_id=message.conversation_id, uploaded_by=sender_id,
                                       message__isnull=True).update(message_id=message.id)
    if attached != len(file_ids):
        raise InvalidInput.on("file_ids", "Attach only files you uploaded to this conversation and have not sent yet.")
    files = {chat_file.pk: chat_file for chat_file in ChatFile.objects.filter(pk__in=file_ids)}
    return [files[file_id] for file_id in file_ids]


# --- custom offers (offer.* events) -----------------------------------------------------------------

OFFER_SHOWN = ("offer_id", "seller_id", "buyer_id", "gig_id", "title", "description", "price", "currency",
               "delivery_days", "revisions", "status", "expires_at", "order_id", "created_at")


def show_offer(*, data: dict) -> Message | None:
    """Show an offer in its conversation as a message of kind ``offer`` from the seller, or move that
    message's offer to its new status; both participants' sockets hear of it after the commit.

    Every offer.* event carries the whole offer, so whichever arrives first makes the message, and a
    later one changes it only from ``pending`` (an answered offer never goes back). The order service
    checked the participants; they are checked again here, and an offer naming anyone else is logged
    and not shown (a bug upstream must not put an offer into a stranger's conversation).
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=data["conversation_id"]).first()
        if conversation is None or set(conversation.participants) != {data["seller_id"], data["buyer_id"]}:
            log.warning("offer_not_shown_participants_mismatch", offer_id=data["offer_id"],
                        conversation_id=data["conversation_id"], seller_id=data["seller_id"],
                        buyer_id=data["buyer_id"])
            return None
        offer = {("id" if name == "offer_id" else name): data[name] for name in OFFER_SHOWN}
        message = Message.objects.select_for_update().filter(offer_id=data["offer_id"]).first()
        if message is None:
            now = timezone.now()
            conversation.message_count += 1
            conversation.last_message_at = now
            conversation.save(update_fields=["message_count", "last_message_at"])
            message = Message.objects.create(
                conversation=conversation, seq=conversation.message_count, sender_id=data["seller_id"],
                kind=MessageKind.OFFER, offer_id=data["offer_id"], offer=offer, created_at=now,
                body=f"Custom offer: {data['title']} — {data['price']} {data['currency']}, "
                     f"{data['delivery_days']} day(s)")
            ReadState.objects.filter(conversation=conversation, user_id=data["seller_id"],
                                     last_read_seq__lt=message.seq).update(last_read_seq=message.seq)
            frame_type = "message.new"
        elif message.offer["status"] == "pending" and data["status"] != "pending":
            message.offer = offer
            message.save(update_fields=["offer"])
            frame_type = "message.updated"
        else:
            return message  # an older word about the offer, arriving late
        frame = {"type": frame_type, "message": message_frame_data(message)}
        transaction.on_commit(lambda: realtime.push(conversation.participants, frame))
    return message


# --- attachments ---------------------------------------------------------------------------------

def upload_file(*, conversation: Conversation, user_id, upload) -> ChatFile:
    """Store ``upload`` (streamed by marketplace_libs.files.uploads) for a later message of ``user_id``."""
    stored = store_upload(upload, storage=file_storage, folder=f"conversations/{conversation.pk}")
    try:
        with transaction.atomic():
            chat_file = ChatFile.objects.create(
                conversation=conversation, uploaded_by=user_id, key=stored.key, name=stored.name, size=stored.size,
                content_type=stored.content_type, sha256=stored.sha256)
            if served_inline(stored.content_type):
                transaction.on_commit(
                    lambda: thumbnails.request_thumbnail("messaging.tasks.make_file_thumbnail", chat_file.pk))
    except BaseException:
        file_storage.delete(stored.key)
        raise
    return chat_file


def make_thumbnail(*, file_id) -> bool:
    """An image attachment's thumbnail, made once; True when made now."""
    chat_file = ChatFile.objects.filter(pk=file_id, thumbnail_key="").first()
    if chat_file is None or not served_inline(chat_file.content_type):
        return False
    made = thumbnails.make_thumbnail(file_storage, chat_file.key,
                                     folder=f"conversations/{chat_file.conversation_id}/thumbnails")
    if made is None:
        return False
    if not ChatFile.objects.filter(pk=chat_file.pk, thumbnail_key="").update(thumbnail_key=made):
        file_storage.delete(made)
        return False
    return True


def files_without_thumbnails(*, since, limit: int = 100) -> list:
    """Recent image attachments with no thumbnail yet (their task lost, or not run yet)."""
    return list(ChatFile.objects.filter(thumbnail_key="", content_type__in=INLINE_TYPES, created_at__gte=since)
                .order_by("created_at").values_list("pk", flat=True)[:limit])


_COUNT_MESSAGE = """
    UPDATE messaging_conversation SET message_count = message_count + 1, last_message_at = %s
     WHERE id = %s AND (user_low = %s OR user_high = %s)
    RETURNING message_count, user_low, user_high, gig_id, order_id"""
_INSERT_MESSAGE = """
    INSERT INTO messaging_message (id, conversation_id, seq, sender_id, body, client_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)"""
_SENDER_HAS_READ = "UPDATE messaging_readstate SET last_read_seq = %s WHERE conversation_id = %s AND user_id = %s"


def _store_message(*, conversation_id, sender_id, body: str, client_id: str | None) -> tuple[Message, Conversation]:
    """The send's three writes as plain SQL: lock and count in the conversation (one ``UPDATE ...
    RETURNING`` that also checks the sender takes part), the message, the sender's read state.

    Plain SQL because this is the chat's hottest path: building these statements through the ORM
    holds the GIL that the process's event loop needs for its sockets (docs/decisions.md, 36).
    PostgreSQL and SQLite (3.35+) both run it; the values go through the model fields, so each backend
    gets its own types.
    """
    connection = transaction.get_connection()
    now = timezone.now()
    message_id = uuid.uuid4()
    prep = _field_prep(connection)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_MESSAGE, [prep(Conversation, "last_message_at", now), prep(Conversation, "id", conversation_id),
                                        prep(Conversation, "user_low", sender_id), prep(Conversation, "user_high", sender_id)])
        row = cursor.fetchone()
        if row is None:
            raise NotFound("No such conversation.")
        seq, user_low, user_high, gig_id, order_id = row
        cursor.execute(_INSERT_MESSAGE, [prep(Message, "id", message_id), prep(Message, "conversation", conversation_id),
                                         seq, prep(Message, "sender_id", sender_id), body, client_id,
                                         prep(Message, "created_at", now)])
        # Writing is reading: the sender has read everything up to their own message.
        cursor.execute(_SENDER_HAS_READ, [seq, prep(ReadState, "conversation", conversation_id),
                                          prep(ReadState, "user_id", sender_id)])
    conversation = Conversation(id=uuid.UUID(str(conversation_id)), user_low=_as_uuid(user_low),
                                user_high=_as_uuid(user_high), gig_id=_as_uuid(gig_id), order_id=_as_uuid(order_id),
                                message_count=seq, last_message_at=now)
    message = Message(id=message_id, conversation=conversation, seq=seq, sender_id=uuid.UUID(str(sender_id)),
                      body=body, client_id=client_id, created_at=now)
    for instance in (conversation, message):
        instance._state.adding, instance._state.db = False, connection.alias
    return message, conversation


def _field_prep(connection):
    def prep(model, name, value):
        return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)
    return prep


def _as_uuid(value) -> uuid.UUID | None:
    return None if value is None else value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def mark_read(*, conversation_id, user_id, message_id) -> None:
    with transaction.atomic():
        conversation = _locked_for_participant(conversation_id, user_id)
        message = Message.objects.filter(pk=message_id, conversation=conversation).first() if _is_uuid(message_id) \
            else None
        if message is None:
            raise InvalidInput.on("message_id", "No such message in this conversation.")
        moved = ReadState.objects.filter(conversation=conversation, user_id=user_id,
                                         last_read_seq__lt=message.seq).update(last_read_seq=message.seq)
        if moved:
            frame = {"type": "read", "conversation_id": str(conversation.pk), "user_id": str(user_id),
                     "message_id": str(message.id)}
            transaction.on_commit(lambda: realtime.push([conversation.other(user_id)], frame))


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
