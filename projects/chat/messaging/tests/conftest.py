"""Fixtures of the chat service's tests: tokens from the test key, sockets through Channels' communicator."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import pytest
from channels.testing import WebsocketCommunicator

from marketplace_libs import testing
from messaging import services

CHAT = "/api/chat"


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def send_limit(settings):
    """Sets the send limit and starts the test early in one window of the limiter. The limiter counts in
    windows aligned to the clock (every 60 s here); sends that straddle a boundary would be counted in
    two windows and the one over the limit let through."""

    def limit(sends: int) -> None:
        settings.CHAT_SEND_LIMIT, settings.CHAT_SEND_WINDOW_SECONDS = sends, 60
        left = 60 - time.time() % 60
        if left < 10:
            time.sleep(left + 0.05)

    return limit


@dataclass
class Person:
    id: str
    username: str
    token: str
    client: object


@pytest.fixture
def person(trust_test_key, db):
    from rest_framework.test import APIClient

    def make() -> Person:
        user_id = str(uuid.uuid4())
        username = f"u{user_id[:8]}"
        services.record_person(user_id=user_id, username=username)
        token = testing.mint_token(user_id=user_id, username=username)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return Person(user_id, username, token, client)

    return make


def conversation_between(a: Person, b: Person) -> dict:
    response = a.client.post(f"{CHAT}/conversations/", {"participant_id": b.id}, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


class Socket:
    """A synchronous face on Channels' WebsocketCommunicator, so tests need no async plugin.

    Every socket of a test runs on the test's one event loop: the communicators and the in-memory
    channel layer hold futures and queues bound to it.
    """

    def __init__(self, token: str | None, loop: asyncio.AbstractEventLoop):
        from config.asgi import application

        self.loop = loop
        path = "/ws/chat/" + (f"?token={token}" if token else "")
        self.communicator = WebsocketCommunicator(application, path)
        connected, _ = self._run(self.communicator.connect())
        assert connected

    def _run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def send(self, frame) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self._run(self.communicator.send_to(text_data=text))

    def receive(self, timeout: float = 2) -> dict:
        return json.loads(self._run(self.communicator.receive_from(timeout)))

    def receive_until(self, kind: str, timeout: float = 2) -> dict:
        while True:
            frame = self.receive(timeout)
            if frame["type"] == kind:
                return frame

    def nothing_more(self, timeout: float = 0.3) -> bool:
        return self._run(self.communicator.receive_nothing(timeout))

    def closed_with(self, timeout: float = 2) -> int:
        output = self._run(self.communicator.receive_output(timeout))
        assert output["type"] == "websocket.close", output
        return output.get("code")

    def close(self) -> None:
        self._run(self.communicator.disconnect())


@pytest.fixture
def sockets():
    loop = asyncio.new_event_loop()
    opened: list[Socket] = []

    def open_socket(token: str | None) -> Socket:
        socket = Socket(token, loop)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        try:
            socket.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass
    loop.close()



