"""Staff: what each user was told, which emails went out, and sending one again."""

from django.contrib import admin, messages

from marketplace_libs.admin_display import redacted_json

from . import services
from .models import EmailDelivery, Notification, Recipient


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "user_id", "read_at", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=user_id", "=source_event_id", "title"]
    readonly_fields = [field.name for field in Notification._meta.concrete_fields]
    ordering = ["-created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["kind", "to_address", "status", "attempts", "reason", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "=user_id", "=source_event_id"]
    # The context as the logs would show it: a password reset's link is a live credential.
    exclude = ["context"]
    readonly_fields = [*(field.name for field in EmailDelivery._meta.concrete_fields if field.name != "context"),
                       "context_shown"]
    ordering = ["-created_at"]
    actions = ["resend"]

    @admin.display(description="context")
    def context_shown(self, delivery):
        return redacted_json(delivery.context)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected emails again")
    def resend(self, request, queryset):
        for delivery in queryset:
            services.resend(delivery_id=delivery.pk)
        self.message_user(request, f"{queryset.count()} email(s) queued again.", messages.SUCCESS)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["username", "email", "email_notifications", "message_emails", "language"]
    search_fields = ["username", "email", "=user_id"]
    readonly_fields = [field.name for field in Recipient._meta.concrete_fields]
