"""The chat socket through Channels' communicator (real commits: frames go out after them)."""

import asyncio
import json
import time

import pytest

from marketplace_libs.testing import published
from marketplace_libs import revocation, testing, tokens
from messaging.models import Message

from .conftest import conversation_between

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("token", [None, "not-a-jwt", "expired", "unsigned"])
def test_a_missing_bad_or_expired_token_closes_with_4401(sockets, trust_test_key, token):
    if token == "expired":
        token = testing.mint_token(lifetime=-10)
    elif token == "unsigned":
        token = testing.unsigned_token()
    assert sockets(token).closed_with() == 4401


def test_with_redis_down_a_socket_is_refused_with_1013_not_a_server_error(sockets, person, monkeypatch):
    """Redis down takes both the revocation store and the channel layer: the refusal must still be a close
    frame saying "try again later", which needs no channel layer."""
    import redis
    from channels.layers import get_channel_layer

    a = person()

    def redis_down(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    async def layer_down(*args, **kwargs):
        redis_down()

    monkeypatch.setattr(tokens.get_verifier(), "verify", redis_down)
    monkeypatch.setattr(get_channel_layer(), "receive", layer_down)
    refused = sockets(a.token)
    assert refused.closed_with() == 1013
    # The application has not failed (a failure here is what a server turns into a 500 during the handshake).
    refused._run(asyncio.sleep(0.3))
    application = refused.communicator.future
    assert not (application.done() and application.exception()), application.exception()


def test_a_revoked_token_closes_with_4401(sockets, person):
    a = person()
    claims = tokens.get_verifier().verify(a.token)
    revocation.revoke_token(claims.jti, time.time() + 900)
    assert sockets(a.token).closed_with() == 4401


def test_an_open_socket_is_closed_with_4401_once_its_token_is_revoked(sockets, person, settings):
    settings.SOCKET_TOKEN_RECHECK_SECONDS = 0.2
    a, b = person(), person()
    a_socket, b_socket = sockets(a.token), sockets(b.token)
    claims = tokens.get_verifier().verify(a.token)
    revocation.revoke_token(claims.jti, time.time() + 900)  # a's sign-out
    assert a_socket.closed_with() == 4401
    assert b_socket.nothing_more(timeout=0.5)  # the others' sockets stay open


def test_an_open_socket_is_closed_with_1013_once_its_token_cannot_be_rechecked(sockets, person, settings,
                                                                               monkeypatch):
    import redis

    settings.SOCKET_TOKEN_RECHECK_SECONDS = 0.2
    socket = sockets(person().token)
    assert socket.nothing_more(timeout=0.5)  # rechecked and kept open while the store answers

    def store_down(tokens):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(revocation, "revoked_among", store_down)
    assert socket.closed_with() == 1013  # fail closed, and say "try again later"


def test_an_open_socket_is_closed_with_4401_when_its_token_expires(sockets, person, trust_test_key):
    a = person()
    # exp is whole seconds: a lifetime of 3 leaves more than 2 s, so the socket is open at first.
    socket = sockets(testing.mint_token(user_id=a.id, username=a.username, lifetime=3))
    assert socket.nothing_more(timeout=0.5)
    assert socket.closed_with(timeout=5) == 4401


def test_two_users_talk_and_every_tab_of_the_sender_gets_the_echo(sockets, person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    a_tab1, a_tab2, b_tab = sockets(a.token), sockets(a.token), sockets(b.token)
    a_tab1.send({"type": "message.send", "conversation_id": conversation["id"], "body": "Hi Bob", "client_id": "k1"})
    for socket in (a_tab1, a_tab2, b_tab):
        frame = socket.receive_until("message.new")
        assert frame["message"]["body"] == "Hi Bob" and frame["message"]["client_id"] == "k1"
    [sent] = published("message.sent")
    assert sent["recipients"] == [{"user_id": b.id, "online": True}]

    b_tab.send({"type": "typing", "conversation_id": conversation["id"]})
    assert a_tab1.receive_until("typing") == {"type": "typing", "conversation_id": conversation["id"], "user_id": b.id}
    b_tab.send({"type": "read", "conversation_id": conversation["id"], "message_id": sent["message_id"]})
    read = a_tab2.receive_until("read")
    assert read["user_id"] == b.id and read["message_id"] == sent["message_id"]
    assert b.client.get("/api/chat/conversations/").json()["results"][0]["unread_count"] == 0


def test_a_message_sent_over_rest_reaches_the_sockets(sockets, person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    b_tab = sockets(b.token)
    a.client.post(f"/api/chat/conversations/{conversation['id']}/messages/", {"body": "Via REST"}, format="json")
    assert b_tab.receive_until("message.new")["message"]["body"] == "Via REST"


def test_a_resent_client_id_is_stored_once(sockets, person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    a_tab = sockets(a.token)
    for _ in range(2):
        a_tab.send({"type": "message.send", "conversation_id": conversation["id"], "body": "Once", "client_id": "dup"})
    a_tab.receive_until("message.new")
    assert a_tab.nothing_more()
    assert Message.objects.count() == 1


@pytest.mark.parametrize("frame, code", [
    ("not json at all", "invalid_json"),
    ("[1, 2]", "invalid_frame"),
    ({"type": "dance"}, "unknown_type"),
    ({"type": "message.send", "body": "no conversation"}, "invalid_frame"),
    ({"type": "message.send", "conversation_id": "00000000-0000-0000-0000-000000000000", "body": "x"}, "not_found"),
    ({"type": "message.send", "conversation_id": "nope", "body": "x"}, "not_found"),
    ({"type": "typing", "conversation_id": "00000000-0000-0000-0000-000000000000"}, "not_found"),
    ({"type": "read", "conversation_id": "00000000-0000-0000-0000-000000000000", "message_id": "x"}, "not_found"),
    ("x" * 20000, "frame_too_large"),
])
def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_open(sockets, person, frame, code):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    socket = sockets(a.token)
    socket.send(frame)
    error = socket.receive()
    assert error["type"] == "error" and error["code"] == code and error["detail"]
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "still here"})
    assert socket.receive_until("message.new")["message"]["body"] == "still here"


def test_a_stranger_gets_an_error_frame_for_someone_elses_conversation(sockets, person):
    a, b, stranger = person(), person(), person()
    conversation = conversation_between(a, b)
    socket = sockets(stranger.token)
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "let me in"})
    assert socket.receive() ["code"] == "not_found"
    assert not Message.objects.exists()


def test_too_long_a_body_and_too_many_sends_are_error_frames(sockets, person, send_limit):
    send_limit(2)
    a, b = person(), person()
    conversation = conversation_between(a, b)
    socket = sockets(a.token)
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "y" * 5001})
    assert socket.receive()["code"] == "validation_error"
    for n in range(2):
        socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": f"{n}"})
        socket.receive_until("message.new")
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "flood"})
    assert socket.receive()["code"] == "rate_limited"
    assert json.loads(json.dumps(Message.objects.count())) == 2
