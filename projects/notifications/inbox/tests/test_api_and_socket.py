import asyncio
import json
import uuid

import pytest
from channels.testing import WebsocketCommunicator

from inbox import services
from inbox.models import Notification
from marketplace_libs.testing import deliver, event
from marketplace_libs import testing

from .conftest import NOTIFICATIONS


def test_the_inbox_unread_count_and_reading(user):
    ada, bob = user(), user()
    assert ada.client.get(f"{NOTIFICATIONS}/unread-count").json() == {"unread": 1}  # the welcome
    body = ada.client.get(f"{NOTIFICATIONS}/").json()
    [welcome] = body["results"]
    assert set(welcome) == {"id", "kind", "title", "body", "data", "read_at", "created_at"}
    assert bob.client.post(f"{NOTIFICATIONS}/{welcome['id']}/read").status_code == 404  # not bob's
    assert ada.client.post(f"{NOTIFICATIONS}/{welcome['id']}/read").status_code == 204
    assert ada.client.get(f"{NOTIFICATIONS}/", {"unread": "true"}).json()["count"] == 0
    assert ada.client.get(f"{NOTIFICATIONS}/", {"unread": "false"}).json()["count"] == 1
    assert bob.client.post(f"{NOTIFICATIONS}/read-all").status_code == 204
    assert bob.client.get(f"{NOTIFICATIONS}/unread-count").json() == {"unread": 0}
    assert ada.client.post(f"{NOTIFICATIONS}/{uuid.uuid4()}/read").status_code == 404
    assert ada.client.get(f"{NOTIFICATIONS}/", {"unread": "maybe"}).status_code == 400


def test_without_a_token_the_inbox_is_a_401(api_client, db):
    assert api_client.get(f"{NOTIFICATIONS}/").status_code == 401


@pytest.fixture
def loop(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.django_db(transaction=True)
def test_the_socket_pushes_a_new_notification_at_once(loop, trust_test_key):
    from config.asgi import application

    user_id = str(uuid.uuid4())
    deliver(event("user.registered", {"user_id": user_id, "username": "sock", "email": "sock@example.com",
                                      "date_joined": "2026-01-01T00:00:00Z"}))
    socket = WebsocketCommunicator(application, f"/ws/notifications/?token={testing.mint_token(user_id=user_id)}")
    assert loop.run_until_complete(socket.connect())[0]
    loop.run_until_complete(socket.send_to(text_data=json.dumps({"type": "ping"})))
    assert json.loads(loop.run_until_complete(socket.receive_from(2))) == {"type": "pong"}

    services.notify(event_id=str(uuid.uuid4()), drafts=__import__("inbox.kinds", fromlist=["x"]).welcome(
        {"user_id": user_id, "username": "sock"}))
    frame = json.loads(loop.run_until_complete(socket.receive_from(2)))
    assert frame["type"] == "notification.new" and frame["notification"]["kind"] == "welcome"
    loop.run_until_complete(socket.send_to(text_data="nope"))
    assert json.loads(loop.run_until_complete(socket.receive_from(2)))["code"] == "invalid_json"
    loop.run_until_complete(socket.disconnect())


def test_a_socket_without_a_token_closes_with_4401(loop, db):
    from config.asgi import application

    socket = WebsocketCommunicator(application, "/ws/notifications/")
    assert loop.run_until_complete(socket.connect())[0]
    assert loop.run_until_complete(socket.receive_output(2))["code"] == 4401


@pytest.mark.django_db(transaction=True)
def test_the_socket_frame_says_the_times_as_rest_does(loop, trust_test_key, client_for):
    from config.asgi import application

    user_id = str(uuid.uuid4())
    socket = WebsocketCommunicator(application, f"/ws/notifications/?token={testing.mint_token(user_id=user_id)}")
    assert loop.run_until_complete(socket.connect())[0]
    loop.run_until_complete(socket.send_to(text_data=json.dumps({"type": "ping"})))
    assert json.loads(loop.run_until_complete(socket.receive_from(2))) == {"type": "pong"}
    deliver(event("user.registered", {"user_id": user_id, "username": "clock", "email": "clock@example.com",
                                      "date_joined": "2026-01-01T00:00:00Z"}))
    pushed = json.loads(loop.run_until_complete(socket.receive_from(2)))["notification"]
    loop.run_until_complete(socket.disconnect())

    client = client_for(user_id=user_id, username="clock")
    [listed] = client.get(f"{NOTIFICATIONS}/").json()["results"]
    assert pushed["created_at"].endswith("Z")
    assert pushed["created_at"] == listed["created_at"]

    # A read one too: the frame's builder gives read_at as REST does.
    assert client.post(f"{NOTIFICATIONS}/{listed['id']}/read").status_code == 204
    [listed] = client.get(f"{NOTIFICATIONS}/").json()["results"]
    framed = services.notification_payload(Notification.objects.get(pk=listed["id"]))
    assert framed["read_at"].endswith("Z")
    assert (framed["read_at"], framed["created_at"]) == (listed["read_at"], listed["created_at"])
