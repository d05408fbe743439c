"""Staff can look up a conversation (a dispute, an abuse report); messages are read-only evidence."""

from django.contrib import admin

from .models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    readonly_fields = ["seq", "sender_id", "body", "client_id", "created_at"]
    ordering = ["-seq"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "user_low", "user_high", "gig_id", "order_id", "message_count", "last_message_at"]
    search_fields = ["=id", "=user_low", "=user_high", "=gig_id", "=order_id"]
    readonly_fields = [field.name for field in Conversation._meta.concrete_fields]
    inlines = [MessageInline]
    ordering = ["-last_message_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
