from django.contrib import admin

from ..admin_display import redacted_json
from .models import InboxEvent, OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("event_type", "occurred_at", "published_at", "attempts", "correlation_id")
    list_filter = ("event_type", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id", "correlation_id", "aggregate_id")
    # The data as the logs would show it: a password reset's link is a live credential.
    exclude = ("data",)
    readonly_fields = [*(field.name for field in OutboxEvent._meta.fields if field.name != "data"), "data_shown"]

    @admin.display(description="data")
    def data_shown(self, event):
        return redacted_json(event.data)


@admin.register(InboxEvent)
class InboxEventAdmin(admin.ModelAdmin):
    list_display = ("event_type", "producer", "handled_at", "correlation_id")
    list_filter = ("event_type", "producer")
    search_fields = ("event_id", "correlation_id")
    readonly_fields = [field.name for field in InboxEvent._meta.fields]
