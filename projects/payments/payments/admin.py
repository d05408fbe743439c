"""Staff's view of the money: read-only. Money moves only through the services (and so the ledger);
editing a row here would make the books lie, so nothing can be added, changed or deleted."""

from django.contrib import admin, messages

from marketplace_libs.errors import DomainError

from . import services
from .models import Balance, LedgerEntry, LedgerTransaction, OrderTerms, Payment, Payout, ProviderEvent, Refund


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.concrete_fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = readonly_fields = ["account", "owner_id", "amount", "currency", "available_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "order_id", "payout_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "=order_id", "=payout_id"]
    ordering = ["-created_at"]
    inlines = [EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "owner_id", "amount", "currency", "available_at", "created_at"]
    list_filter = ["account", "currency"]
    search_fields = ["=owner_id", "transaction__key"]
    ordering = ["-created_at"]
    list_select_related = ["transaction"]


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "currency", "pending", "available", "in_transit", "withdrawn", "lifetime_earnings",
                    "updated_at"]
    list_filter = ["currency"]
    search_fields = ["=user_id"]
    ordering = ["-updated_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "order_id", "buyer_id", "provider", "amount", "currency", "status", "refunded_amount",
                    "created_at", "succeeded_at"]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["=id", "=order_id", "=buyer_id", "=provider_reference"]
    ordering = ["-created_at"]
    exclude = ["client_secret"]  # it lets whoever holds it complete the buyer's payment

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "client_secret"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "order_id", "sequence", "amount", "currency", "status", "reason", "created_at",
                    "succeeded_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "=order_id", "=provider_reference"]
    ordering = ["-created_at"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "seller_id", "amount", "currency", "status", "provider", "created_at", "paid_at",
                    "failed_at"]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["=id", "=seller_id", "=provider_reference"]
    ordering = ["-created_at"]
    actions = ["retry_failed_payouts"]

    @admin.action(description="Retry the selected failed payouts (a new payout of the same amount)")
    def retry_failed_payouts(self, request, queryset):
        # A failed payout's money is back in the seller's available balance; retrying asks for it again
        # through the same checks as the seller's own request (the balance must still cover it).
        retried, refused = 0, []
        for payout in queryset.filter(status="failed"):
            try:
                services.request_payout(seller_id=str(payout.seller_id), amount=payout.amount,
                                        currency=payout.currency)
                retried += 1
            except DomainError as error:
                refused.append(f"{payout.pk}: {error.detail}")
        self.message_user(request, f"{retried} payout(s) asked for again.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(OrderTerms)
class OrderTermsAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "title", "status", "price", "service_fee", "total", "seller_earnings", "currency",
                    "placed_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=order_id", "=buyer_id", "=seller_id", "title"]
    ordering = ["-placed_at"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "provider", "type", "outcome", "payment", "received_at"]
    list_filter = ["provider", "type", "outcome"]
    search_fields = ["event_id", "=payment__id"]
    ordering = ["-received_at"]
