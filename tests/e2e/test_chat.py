"""Chat through nginx with a real WebSocket client, on the real servers (two chat processes, joined by
the Redis channel layer)."""

from __future__ import annotations

import json
import uuid

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .support import assert_problem, wait_for

CHAT = "/api/chat"


def ws_url(base: str, token: str | None) -> str:
    return base.replace("http://", "ws://") + "/ws/chat/" + (f"?token={token}" if token else "")


def frames_until(socket, kind: str, timeout: float = 5) -> dict:
    while True:
        frame = json.loads(socket.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame


def open_conversation(gateway, a, b) -> dict:
    """user.registered reaches the chat service asynchronously: until then b is "no such user"."""
    def attempt():
        response = gateway.post(f"{CHAT}/conversations/", headers=a.auth(), json={"participant_id": b.id})
        return response if response.status_code in (200, 201) else None

    return wait_for(attempt, interval=0.2, what="user.registered to reach the chat service").json()


@pytest.fixture
def pair(platform, gateway):
    a = platform.log_in(gateway, platform.register(gateway))
    b = platform.log_in(gateway, platform.register(gateway))
    return a, b, open_conversation(gateway, a, b)


def test_a_bad_token_closes_the_socket_with_4401_through_the_gateway(platform):
    for token in (None, "garbage", f"{uuid.uuid4().hex}.x.y"):
        with connect(ws_url(platform.base_url, token)) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=5)
            assert closed.value.rcvd.code == 4401


def test_two_users_talk_through_the_gateway_and_history_agrees(platform, gateway, pair):
    a, b, conversation = pair
    with connect(ws_url(platform.base_url, a.access)) as a_tab1, \
            connect(ws_url(platform.base_url, a.access)) as a_tab2, \
            connect(ws_url(platform.base_url, b.access)) as b_tab:
        a_tab1.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "Hello B",
                                "client_id": "e2e-1"}))
        for socket in (a_tab1, a_tab2, b_tab):
            assert frames_until(socket, "message.new")["message"]["body"] == "Hello B"
        b_tab.send(json.dumps({"type": "typing", "conversation_id": conversation["id"]}))
        assert frames_until(a_tab1, "typing")["user_id"] == b.id
        b_tab.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "Hi A"}))
        reply = frames_until(a_tab2, "message.new")["message"]
        b_tab.send("{not json")
        assert frames_until(b_tab, "error")["code"] == "invalid_json"

    history = gateway.get(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=a.auth()).json()
    assert [m["body"] for m in history["results"]] == ["Hi A", "Hello B"]
    mine = gateway.get(f"{CHAT}/conversations/", headers=a.auth()).json()["results"]
    assert mine[0]["id"] == conversation["id"] and mine[0]["unread_count"] == 1
    assert gateway.post(f"{CHAT}/conversations/{conversation['id']}/read", headers=a.auth(),
                        json={"message_id": reply["id"]}).status_code == 204
    assert gateway.get(f"{CHAT}/conversations/", headers=a.auth()).json()["results"][0]["unread_count"] == 0


def test_messages_cross_between_two_chat_processes(platform, gateway, pair):
    from marketplace_libs.topology import ALL_SERVICES

    a, b, conversation = pair
    chat = next(spec for spec in ALL_SERVICES if spec.name == "chat")
    base = int(platform.env["MARKETPLACE_PORT_BASE"]) + chat.slot
    first, second = f"ws://127.0.0.1:{base}", f"ws://127.0.0.1:{base + 100}"
    with connect(f"{first}/ws/chat/?token={a.access}") as on_first, \
            connect(f"{second}/ws/chat/?token={b.access}") as on_second:
        on_first.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "across"}))
        assert frames_until(on_second, "message.new")["message"]["body"] == "across"
        assert frames_until(on_first, "message.new")["message"]["body"] == "across"  # the sender's echo
        on_second.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "back"}))
        assert frames_until(on_first, "message.new")["message"]["body"] == "back"


def test_a_rest_message_is_pushed_and_a_stranger_sees_nothing(platform, gateway, pair):
    a, b, conversation = pair
    stranger = platform.log_in(gateway, platform.register(gateway))
    with connect(ws_url(platform.base_url, b.access)) as b_tab, \
            connect(ws_url(platform.base_url, stranger.access)) as intruder:
        sent = gateway.post(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=a.auth(),
                            json={"body": "Over REST", "client_id": "rest-1"})
        assert sent.status_code == 201, sent.text
        assert frames_until(b_tab, "message.new")["message"]["id"] == sent.json()["id"]
        intruder.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "hi"}))
        assert frames_until(intruder, "error")["code"] == "not_found"
    assert_problem(gateway.get(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=stranger.auth()), 404)
    assert_problem(gateway.post(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=stranger.auth(),
                                json={"body": "hi"}), 404)
    again = gateway.post(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=a.auth(),
                         json={"body": "Over REST", "client_id": "rest-1"})
    assert again.status_code == 200 and again.json()["id"] == sent.json()["id"]
