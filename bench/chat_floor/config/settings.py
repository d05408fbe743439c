"""The chat floor (bench/chat_cost.py): a bare Channels app doing the chat socket's work and nothing else.

The same channel layer as the chat service (config.settings of projects/chat: channels_redis's
pub/sub layer on MARKETPLACE_REDIS_URL), its own PostgreSQL database (BENCH_FLOOR_DATABASE).
"""

import os
from urllib.parse import urlsplit

SECRET_KEY = "chat-floor-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels", "floorchat"]
ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_server = urlsplit(os.environ["MARKETPLACE_DATABASE_URL"])
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["BENCH_FLOOR_DATABASE"],
    "USER": _server.username or "postgres", "PASSWORD": _server.password or "", "HOST": _server.hostname,
    "PORT": _server.port or 5432, "CONN_MAX_AGE": 60,
}}
CHANNEL_LAYERS = {"default": {
    "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "CONFIG": {"hosts": [os.environ["MARKETPLACE_REDIS_URL"]], "prefix": "floor-chat"},
}}
