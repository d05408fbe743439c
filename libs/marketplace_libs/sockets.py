"""WebSockets for every service that has them (chat, notifications): the same tokens, the same frames.

The token comes as ``?token=`` (browsers cannot set headers on a WebSocket handshake). It is
verified like any access token, revocation included. A refused socket is accepted and then closed
with 4401: a browser cannot read the status of a refused handshake, but it can read a close code.
Frames are JSON text; a bad frame gets ``{"type": "error", "code", "detail"}`` and the socket stays open.
A socket lives no longer than its token: once the token expires or is revoked (sign-out, a password
change, a deactivated account) the socket is closed with 4401 too, and the client reconnects with a
fresh token.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import parse_qs

import structlog
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.middleware import BaseMiddleware
from django.conf import settings

from . import outages, revocation
from .authentication import TokenUser
from .errors import DomainError
from .socket_sweeps import Sweep
from .tokens import TokenRejected, get_verifier

log = structlog.get_logger("marketplace.sockets")

UNAUTHORIZED = 4401
# An alias no CHANNEL_LAYERS entry has: channels then gives the consumer no layer at all.
NO_CHANNEL_LAYER = "none: refused socket"
TRY_AGAIN_LATER = 1013  # RFC 6455's "Try Again Later": a server the socket needs is not answering
UNAVAILABLE_REASON = "revocation_unavailable"
MAX_FRAME_BYTES = 16 * 1024


class TokenAuthMiddleware(BaseMiddleware):
    """Puts the verified caller in ``scope["user"]`` (None when the token is missing or refused)."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=None, token_error=None)
        token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        if not token:
            scope["token_error"] = "token_missing"
        else:
            try:
                # The revocation lookup is a (sync) cache call: off the event loop.
                scope["user"] = TokenUser(await sync_to_async(get_verifier().verify, thread_sensitive=False)(token))
            except TokenRejected as rejection:
                scope["token_error"] = rejection.code
            except Exception as error:
                if not outages.is_outage(error):
                    raise
                # The revocation store is down: the token cannot be trusted (fail closed), and the
                # client is told to come back rather than that its token is bad.
                log.warning("socket_token_check_unavailable", error=type(error).__name__)
                scope["token_error"] = UNAVAILABLE_REASON
        return await super().__call__(scope, receive, send)


class FrameError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


class JsonFrameConsumer(AsyncWebsocketConsumer):
    """A socket of an authenticated user, speaking JSON frames ``{"type": ..., ...}``.

    Subclasses implement ``on_open(user)``, ``on_close()`` and ``frame_<type>(frame)`` for each client
    frame type they accept (dots become underscores: ``message.send`` -> ``frame_message_send``).
    """

    user: TokenUser | None = None

    async def __call__(self, scope, receive, send):
        if scope.get("user") is None:
            # A refused socket is only accepted to be closed with its reason: it needs no channel layer, which
            # may be the very server that is down (Redis), and whose failing receive loop would otherwise turn
            # the refusal into a 500 before the close frame is sent.
            self.channel_layer_alias = NO_CHANNEL_LAYER
        return await super().__call__(scope, receive, send)

    async def connect(self):
        await self.accept()
        user = self.scope.get("user")
        if user is None:
            reason = self.scope.get("token_error")
            log.info("socket_refused", reason=reason)
            await self.close(code=TRY_AGAIN_LATER if reason == UNAVAILABLE_REASON else UNAUTHORIZED)
            return
        self.user = user
        await self.on_open(user)
        REVOCATION_SWEEP.join(self)
        self._token_expiry = asyncio.ensure_future(self._close_when_token_expires())

    async def _close_when_token_expires(self) -> None:
        await asyncio.sleep(max(0.0, self.user.token.expires_at - time.time()))
        await self.close_for("token_expired")

    async def close_for(self, reason: str) -> None:
        """Close an authenticated socket whose token no longer holds (or cannot be checked)."""
        REVOCATION_SWEEP.leave(self)
        log.info("socket_closed", reason=reason)
        await self.close(code=TRY_AGAIN_LATER if reason == UNAVAILABLE_REASON else UNAUTHORIZED)

    async def dispatch(self, message):
        # Channels' own dispatch first runs close_old_connections() through sync_to_async -- a hop to
        # the process's one thread-sensitive thread for every frame and every pushed message, all
        # sockets queueing for it. These consumers touch the database only through
        # database_sync_to_async, which closes stale connections in its own thread, around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code):
        REVOCATION_SWEEP.leave(self)
        expiry = getattr(self, "_token_expiry", None)
        if expiry is not None and expiry is not asyncio.current_task():
            expiry.cancel()
        if self.user is not None:
            await self.on_close()

    async def receive(self, text_data=None, bytes_data=None):
        if self.user is None:
            return
        try:
            frame = self._parse(text_data, bytes_data)
            handler = getattr(self, "frame_" + frame["type"].replace(".", "_"), None)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown frame type {frame['type']!r}.")
            await handler(frame)
        except FrameError as error:
            await self.send_frame({"type": "error", "code": error.code, "detail": error.detail})
        except DomainError as error:
            # A refusal a frame handler raises as the HTTP API would (email_unverified): the same code.
            await self.send_frame({"type": "error", "code": error.code, "detail": error.detail})

    @staticmethod
    def _parse(text_data, bytes_data) -> dict:
        if text_data is None:
            raise FrameError("invalid_frame", "Frames are JSON text, not binary.")
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            raise FrameError("frame_too_large", f"A frame is at most {MAX_FRAME_BYTES} bytes.")
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError("invalid_json", "The frame is not JSON.") from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("invalid_frame", 'A frame is a JSON object with a "type".')
        return frame

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, default=str))

    async def on_open(self, user: TokenUser) -> None:
        """The socket is open and ``self.user`` is set."""

    async def on_close(self) -> None:
        """The socket closed (only called for authenticated sockets)."""


async def _close_the_revoked(sockets: list[JsonFrameConsumer]) -> None:
    """Of the sockets due (each once per SOCKET_TOKEN_RECHECK_SECONDS), close those whose token was
    revoked since (sign-out, a password change, a deactivated account): one read of the store for all."""
    try:
        revoked = await sync_to_async(revocation.revoked_among, thread_sensitive=False)(
            [socket.user.token for socket in sockets])
    except Exception as error:
        if not outages.is_outage(error):
            raise
        revoked, reason = {socket.user.token.jti for socket in sockets}, UNAVAILABLE_REASON  # fail closed
    else:
        reason = "token_revoked"
    for socket in sockets:
        if socket.user.token.jti in revoked:
            await socket.close_for(reason)


REVOCATION_SWEEP = Sweep("revocation", interval=lambda: getattr(settings, "SOCKET_TOKEN_RECHECK_SECONDS", 30),
                         work=_close_the_revoked)


def required(frame: dict, field: str, kind=str):
    value = frame.get(field)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise FrameError("invalid_frame", f'"{field}" is missing or not a {kind.__name__}.')
    return value
