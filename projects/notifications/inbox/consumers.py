"""``/ws/notifications/?token=``: pushes ``notification.new`` the moment a notification is made."""

from marketplace_libs.sockets import JsonFrameConsumer

from . import realtime


class NotificationConsumer(JsonFrameConsumer):
    async def on_open(self, user):
        await self.channel_layer.group_add(realtime.user_group(user.id), self.channel_name)

    async def on_close(self):
        await self.channel_layer.group_discard(realtime.user_group(self.user.id), self.channel_name)

    async def frame_ping(self, frame):
        await self.send_frame({"type": "pong"})

    async def notification_frame(self, event):
        await self.send_frame(event["frame"])
