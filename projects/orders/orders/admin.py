"""Staff's view of orders: by status and party, with their money terms and timeline; cancelling a paid order
has the payment service refund it (it hears order.cancelled)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from marketplace_libs.errors import DomainError

from . import disputes, services
from .models import Dispute, DisputeOutcome, DisputeStatus, Extension, Listing, Order, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = ["type", "actor_id", "message", "at"]

    def has_add_permission(self, request, obj=None):
        return False


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    readonly_fields = ["days", "reason", "status", "created_at", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


class DisputeInline(admin.StackedInline):
    """Shown on the order; resolved on the dispute's own page (the link)."""

    model = Dispute
    extra = 0
    can_delete = False
    show_change_link = True
    fields = readonly_fields = ["status", "opened_by", "reason", "details", "outcome", "refund_amount",
                                "resolved_by", "resolved_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "package", "status", "payment_status", "price", "service_fee", "total",
                    "seller_earnings", "refunded_total", "currency", "buyer_id", "seller_id", "created_at", "due_at"]
    list_filter = ["status", "payment_status", "package", "currency"]
    search_fields = ["=id", "=buyer_id", "=seller_id", "=gig_id", "title"]
    ordering = ["-created_at"]
    inlines = [DisputeInline, ExtensionInline, TimelineInline]
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


class ResolveDisputeForm(forms.ModelForm):
    """Staff's decision on an open dispute. Saving it resolves the dispute through ``disputes.resolve_dispute``
    (the order moves, its event is published): a refusal there is shown on the form and nothing changes."""

    outcome = forms.ChoiceField(choices=[("", "---------"), *DisputeOutcome.choices])
    refund_amount = forms.DecimalField(max_digits=10, decimal_places=2, required=False,
                                       help_text="Only for a partial refund: what goes back to the buyer.")
    resolution_note = forms.CharField(widget=forms.Textarea, max_length=2000, required=False,
                                      help_text="Why; shown on the order's timeline.")

    class Meta:
        model = Dispute
        fields = ["outcome", "refund_amount", "resolution_note"]

    def __init__(self, *args, staff_username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.staff_username = staff_username

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            disputes.resolve_dispute(order_id=self.instance.order_id, outcome=cleaned["outcome"],
                                     refund_amount=cleaned.get("refund_amount"), note=cleaned.get("resolution_note", ""),
                                     staff_username=self.staff_username)
        except DomainError as refusal:
            for field, problems in (refusal.errors or {}).items():
                self.add_error(field if field in self.fields else None, problems)
            if not refusal.errors:
                raise ValidationError(refusal.detail) from refusal
        return cleaned


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Open disputes first; the change page of an open one resolves it with one of the three outcomes."""

    list_display = ["id", "order", "status", "outcome", "refund_amount", "opened_by", "created_at", "resolved_at"]
    list_filter = ["status", "outcome"]
    search_fields = ["=id", "=order__id", "=opened_by"]
    ordering = ["-status", "created_at"]  # "open" sorts after "resolved": descending puts it first
    facts = ["id", "order", "opened_by", "opened_in_status", "reason", "details", "status", "created_at"]
    resolution = ["outcome", "refund_amount", "resolution_note", "resolved_by", "resolved_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._open(obj):
            return super().get_form(request, obj, change=change, form=forms.ModelForm, **kwargs)
        form = super().get_form(request, obj, change=change, form=ResolveDisputeForm, **kwargs)
        username = request.user.get_username()

        class WithStaff(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, staff_username=username, **inner)

        return WithStaff

    def get_fieldsets(self, request, obj=None):
        editable = ["outcome", "refund_amount", "resolution_note"] if self._open(obj) else self.resolution
        return [(None, {"fields": self.facts}), ("Resolution", {"fields": editable})]

    def get_readonly_fields(self, request, obj=None):
        return self.facts + ([] if self._open(obj) else self.resolution)

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() resolved the dispute through the service, which saved it

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A resolved dispute is a record: it is viewed, never changed.
        return super().has_change_permission(request, obj) and (obj is None or self._open(obj))

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def _open(dispute) -> bool:
        return dispute is not None and dispute.status == DisputeStatus.OPEN


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "gig_id", "seller_id", "status", "deleted", "revision", "updated_at"]
    list_filter = ["status", "deleted"]
    search_fields = ["title", "=gig_id", "=seller_id"]
    readonly_fields = [field.name for field in Listing._meta.concrete_fields]

    def has_add_permission(self, request):
        return False
