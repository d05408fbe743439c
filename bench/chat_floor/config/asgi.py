import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from floorchat.consumers import FloorChatConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": URLRouter([path("ws/chat/", FloorChatConsumer.as_asgi())]),
})
