import environ

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("chat", apps=[
    "channels",
    "marketplace_libs.events",
    "messaging",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()
CHAT_MESSAGE_MAX_CHARS = 5000
# Sends per user (socket and REST together) within the window; over it, an error frame / 429.
CHAT_SEND_LIMIT = _env.int("MARKETPLACE_CHAT_SEND_LIMIT", default=30)
CHAT_SEND_WINDOW_SECONDS = _env.int("MARKETPLACE_CHAT_SEND_WINDOW_SECONDS", default=10)
# An open socket renews its presence this often; a crashed process's sockets count as away after the TTL.
CHAT_PRESENCE_HEARTBEAT_SECONDS = 30
CHAT_PRESENCE_TTL_SECONDS = 75
# A user whose last socket closed is announced offline (presence.changed) only when no socket has reopened
# for this long, so a page reload is no event at all; the sweep looks every CHAT_PRESENCE_SWEEP_SECONDS.
CHAT_PRESENCE_GRACE_SECONDS = _env.float("MARKETPLACE_CHAT_PRESENCE_GRACE_SECONDS", default=30)
CHAT_PRESENCE_SWEEP_SECONDS = _env.float("MARKETPLACE_CHAT_PRESENCE_SWEEP_SECONDS", default=15)

MARKETPLACE_PERIODIC_TASKS = {
    "make-missing-thumbnails": {"task": "messaging.tasks.make_missing_thumbnails", "every_seconds": 60},
    "settle-presence": {"task": "messaging.tasks.settle_presence", "every_seconds": CHAT_PRESENCE_SWEEP_SECONDS},
}
