from django.db.models import QuerySet

from .models import Notification


def inbox(user_id, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "id")


def unread_count(user_id) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
