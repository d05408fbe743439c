import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()  # first: it sets Django up before the consumers import models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from marketplace_libs.sockets import TokenAuthMiddleware  # noqa: E402
from inbox.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns)),
})

from marketplace_libs.runtime import settle_heap  # noqa: E402

settle_heap()
