"""Staff's view of orders: by status and party, with their money terms and timeline; cancelling a paid order
has the payment service refund it (it hears order.cancelled)."""

from django.contrib import admin, messages

from marketplace_libs.errors import DomainError

from . import services
from .models import Listing, Order, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = ["type", "actor_id", "message", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "package", "status", "payment_status", "price", "service_fee", "total",
                    "seller_earnings", "refunded_total", "currency", "buyer_id", "seller_id", "created_at", "due_at"]
    list_filter = ["status", "payment_status", "package", "currency"]
    search_fields = ["=id", "=buyer_id", "=seller_id", "=gig_id", "title"]
    ordering = ["-created_at"]
    inlines = [TimelineInline]
    actions = ["cancel_and_refund"]
    # Orders move only through their state machine (services), never by editing fields.
    readonly_fields = [field.name for field in Order._meta.concrete_fields]
    fieldsets = [
        (None, {"fields": ["id", "title", "gig_id", "package", "package_title", "buyer_id", "seller_id", "status",
                           "requirements"]}),
        ("Money", {"fields": ["price", "service_fee", "total", "seller_earnings", "currency", "payment_status",
                              "refunded_total"]}),
        ("Delivery", {"fields": ["delivery_days", "revisions_allowed", "revisions_used"]}),
        ("Times", {"fields": ["created_at", "paid_at", "due_at", "delivered_at", "completed_at", "cancelled_at",
                              "updated_at"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected orders (the payment service refunds paid ones)")
    def cancel_and_refund(self, request, queryset):
        done, refused = 0, []
        for order in queryset:
            try:
                services.cancel_by_staff(order_id=order.pk, staff_username=request.user.get_username(),
                                         reason="Cancelled by staff")
                done += 1
            except DomainError as error:
                refused.append(f"{order.pk}: {error.detail}")
        self.message_user(request, f"{done} order(s) cancelled.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "gig_id", "seller_id", "status", "deleted", "revision", "updated_at"]
    list_filter = ["status", "deleted"]
    search_fields = ["title", "=gig_id", "=seller_id"]
    readonly_fields = [field.name for field in Listing._meta.concrete_fields]

    def has_add_permission(self, request):
        return False
