"""An unverified user reads and starts conversations but sends no message, over HTTP or the socket."""

import pytest

from marketplace_libs import testing
from marketplace_libs.testing import problem, published
from messaging.models import Message

from .conftest import CHAT, conversation_between

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_unverified_sender_is_refused_over_http_and_nothing_is_stored(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    a.client.credentials(HTTP_AUTHORIZATION=f"Bearer {testing.mint_token(user_id=a.id, username=a.username, email_verified=False)}")
    response = a.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": "Hi"}, format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")
    assert not Message.objects.exists() and not published("message.sent")
    # Reading stays open.
    assert a.client.get(f"{CHAT}/conversations/{conversation['id']}/messages/").status_code == 200


def test_an_unverified_sender_gets_an_error_frame_and_the_socket_stays_open(sockets, person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    socket = sockets(testing.mint_token(user_id=a.id, username=a.username, email_verified=False))
    b_socket = sockets(b.token)
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "Hi", "client_id": "k1"})
    error = socket.receive()
    assert error["type"] == "error" and error["code"] == "email_unverified" and "/api/auth/refresh" in error["detail"]
    assert not Message.objects.exists()
    assert b_socket.nothing_more()
    # Typing and read receipts are not messages: still allowed on the same socket.
    socket.send({"type": "typing", "conversation_id": conversation["id"]})
    assert b_socket.receive_until("typing")["user_id"] == a.id


def test_a_verified_sender_on_the_socket_is_let_through(sockets, person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    socket = sockets(a.token)
    socket.send({"type": "message.send", "conversation_id": conversation["id"], "body": "Hello"})
    assert socket.receive_until("message.new")["message"]["body"] == "Hello"
