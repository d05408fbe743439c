"""Input and output shapes of the order API."""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import MoneyField, StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer
from marketplace_libs.reference import SUPPORTED_CURRENCIES

from .models import UNLIMITED, DisputeStatus, ExtensionStatus, OfferStatus, OrderStatus, PaymentStatus

TIERS = ("basic", "standard", "premium")  # "custom": an accepted offer's order (orders/offers.py)


class PlaceOrderInput(InputSerializer):
    gig_id = serializers.UUIDField()
    package = serializers.ChoiceField(choices=TIERS)
    requirements = StrictCharField(max_length=5000, allow_blank=True, required=False, default="")


class MessageInput(InputSerializer):
    message = StrictCharField(min_length=1, max_length=5000)


class DeliverInput(InputSerializer):
    message = StrictCharField(min_length=1, max_length=5000)
    file_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=20,
                                     help_text="Files the seller uploaded to this order (POST <id>/files).")


class CancelInput(InputSerializer):
    reason = StrictCharField(min_length=1, max_length=1000)


class ExtensionInput(InputSerializer):
    days = serializers.IntegerField(min_value=1, max_value=30, help_text="How many more days to deliver.")
    reason = StrictCharField(min_length=1, max_length=1000)


class DisputeInput(InputSerializer):
    reason = StrictCharField(min_length=1, max_length=200, help_text="In a line: what is wrong.")
    details = StrictCharField(max_length=5000, allow_blank=True, required=False, default="")
    file_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=20, default=list,
                                     help_text="Files of this order the caller may see, cited as evidence.")


class OrderListParams(serializers.Serializer):
    role = serializers.ChoiceField(choices=("buyer", "seller"), required=False,
                                   help_text="Only the orders the caller placed (buyer) or sells (seller).")
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, help_text="Only this status.")


class FileCardOutput(OutputSerializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField(help_text="Read from the bytes, not the uploader's word.")


class OrderFileOutput(FileCardOutput):
    sha256 = serializers.CharField()
    uploaded_by = serializers.UUIDField()
    delivered = serializers.SerializerMethodField(help_text="Carried by a delivery.")
    created_at = serializers.DateTimeField()

    def get_delivered(self, order_file) -> bool:
        return order_file.delivery_id is not None


class TimelineOutput(OutputSerializer):
    type = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    message = serializers.CharField()
    files = FileCardOutput(many=True, help_text="A delivery's files.")
    at = serializers.DateTimeField()


def money_field(help_text: str, **options):
    """An amount rendered as a decimal string ("158.25"), never a number."""
    return serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True, help_text=help_text,
                                    **options)


class OrderSummaryOutput(OutputSerializer):
    """An order in a list: everything but the requirements and the timeline.

    ``seller_earnings`` is the seller's business: it is rendered only when ``context["viewer_id"]`` is the
    order's seller, and absent for the buyer.
    """

    id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    package = serializers.CharField()
    title = serializers.CharField()
    price = money_field("The package's price.")
    service_fee = money_field("The buyer's service fee.")
    total = money_field("What the buyer pays: price + service_fee.")
    seller_earnings = money_field("What the seller earns: price less the commission. Only to the seller.",
                                  required=False)
    currency = serializers.CharField()
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)
    refunded_total = money_field("Refunded to the buyer so far.")
    buyer_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    status = serializers.CharField()
    delivery_days = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField()
    revisions_allowed = serializers.SerializerMethodField()
    revisions_used = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, order):
        rendered = super().to_representation(order)
        if str(self.context.get("viewer_id")) != str(order.seller_id):
            del rendered["seller_earnings"]
        return rendered

    @extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["unlimited"]}]})
    def get_revisions_allowed(self, order) -> int | str:
        return "unlimited" if order.revisions_allowed is None else order.revisions_allowed


class ExtensionOutput(OutputSerializer):
    id = serializers.UUIDField()
    days = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=ExtensionStatus.choices)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class DisputeOutput(OutputSerializer):
    id = serializers.UUIDField()
    opened_by = serializers.UUIDField()
    reason = serializers.CharField()
    details = serializers.CharField()
    status = serializers.ChoiceField(choices=DisputeStatus.choices)
    outcome = serializers.CharField(allow_null=True, help_text="refund_buyer, release_to_seller or partial_refund; "
                                                               "null while open.")
    refund_amount = money_field("What went back to the buyer by the resolution.", allow_null=True)
    file_ids = serializers.SerializerMethodField(help_text="The order's files cited by the party who opened it.")
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_file_ids(self, dispute) -> list[str]:
        return [str(order_file.pk) for order_file in dispute.files.all()]

    def to_representation(self, dispute):
        rendered = super().to_representation(dispute)
        rendered["outcome"] = rendered["outcome"] or None
        return rendered


class OrderOutput(OrderSummaryOutput):
    """One order, with the buyer's requirements, its timeline, its latest extension request and its dispute."""

    requirements = serializers.CharField()
    timeline = TimelineOutput(many=True)
    files = serializers.SerializerMethodField()

    @extend_schema_field(OrderFileOutput(many=True))
    def get_files(self, order) -> list[dict]:
        """The buyer's files, the viewer's own, and every delivered file (a seller's upload reaches the buyer
        with the delivery)."""
        viewer = self.context.get("viewer_id")
        visible = [f for f in order.files.all() if f.visible_to(viewer)]
        return OrderFileOutput(visible, many=True).data if visible else []
    extension = serializers.SerializerMethodField(help_text="The latest extension request, or null.")
    dispute = serializers.SerializerMethodField(help_text="The order's dispute, or null.")

    @extend_schema_field(ExtensionOutput(allow_null=True))
    def get_extension(self, order):
        latest = next(iter(order.extensions.all()), None)  # newest first (Meta.ordering), prefetched
        return None if latest is None else ExtensionOutput(latest).data

    @extend_schema_field(DisputeOutput(allow_null=True))
    def get_dispute(self, order):
        dispute = getattr(order, "dispute", None)
        return None if dispute is None else DisputeOutput(dispute).data


# --- custom offers ---------------------------------------------------------------------------------

OFFER_PRICE_MAX = Decimal("50000.00")  # the gigs' highest package price
OFFER_DELIVERY_DAYS_MAX = 90
OFFER_REVISIONS_MAX = 10
OFFER_EXPIRY_DAYS = (1, 14)


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0, "maximum": 10},
                              {"type": "string", "enum": ["unlimited"]}]})
class RevisionsField(serializers.Field):
    """0 to 10 revisions, or "unlimited" (stored as NULL), as a gig's packages."""

    default_error_messages = {"invalid": f"A whole number from 0 to {OFFER_REVISIONS_MAX}, or \"{UNLIMITED}\"."}

    def to_internal_value(self, data):
        if data == UNLIMITED:
            return None
        if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data <= OFFER_REVISIONS_MAX:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return UNLIMITED if value is None else value


class OfferInput(InputSerializer):
    conversation_id = serializers.UUIDField(help_text="The chat conversation of the seller and the buyer.")
    buyer_id = serializers.UUIDField(help_text="The other participant of the conversation.")
    gig_id = serializers.UUIDField(required=False, help_text="The seller's gig the order is sold under; by default "
                                                             "the conversation's gig, else the seller's latest.")
    title = StrictCharField(min_length=1, max_length=100)
    description = StrictCharField(max_length=5000, allow_blank=True, required=False, default="")
    price = MoneyField(max_digits=9, min_value=Decimal("0.01"), max_value=OFFER_PRICE_MAX,
                       help_text='A decimal string such as "240.00"; a JSON number is refused.')
    currency = serializers.ChoiceField(choices=SUPPORTED_CURRENCIES, help_text="One the marketplace sells in.")
    delivery_days = serializers.IntegerField(min_value=1, max_value=OFFER_DELIVERY_DAYS_MAX)
    revisions = RevisionsField(required=False, default=0)
    expires_in_days = serializers.IntegerField(min_value=OFFER_EXPIRY_DAYS[0], max_value=OFFER_EXPIRY_DAYS[1])


class OfferListParams(serializers.Serializer):
    role = serializers.ChoiceField(choices=("buyer", "seller"), required=False,
                                   help_text="Only the offers the caller received (buyer) or made (seller).")
    status = serializers.ChoiceField(choices=OfferStatus.choices, required=False, help_text="Only this status.")


class OfferOutput(OutputSerializer):
    id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    buyer_id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    price = money_field("The order's price if accepted (the buyer pays it plus the service fee).")
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField()
    revisions = RevisionsField()
    status = serializers.SerializerMethodField(help_text="pending, accepted, declined, withdrawn or expired (a "
                                                         "pending offer past expires_at is expired).")
    expires_at = serializers.DateTimeField()
    order_id = serializers.UUIDField(allow_null=True, help_text="The order placed when it was accepted.")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=OfferStatus.choices))
    def get_status(self, offer) -> str:
        if offer.status == OfferStatus.PENDING and offer.expires_at <= timezone.now():
            return OfferStatus.EXPIRED  # the scheduler marks it within a minute; the answer need not wait
        return offer.status


# --- GET summary ------------------------------------------------------------------------------------

def count_field(help_text: str):
    return serializers.IntegerField(min_value=0, help_text=help_text)


class SpentOutput(OutputSerializer):
    amount = money_field("Paid for the caller's orders in this currency, less what was refunded.")
    currency = serializers.CharField()


class BuyerSummaryOutput(OutputSerializer):
    active = count_field("Orders not finished: pending_payment, in_progress, delivered or disputed.")
    awaiting_your_review = count_field("Completed orders the caller has not reviewed while the review window "
                                       "(MARKETPLACE_REVIEW_WINDOW_DAYS after completion) is still open.")
    completed = count_field("Completed orders.")
    cancelled = count_field("Cancelled orders.")
    spent = SpentOutput(many=True, help_text="Per currency the caller paid in (sorted by currency; empty if none): "
                                             "the totals of their paid orders less refunds.")


class SellerSummaryOutput(OutputSerializer):
    active = count_field("Paid orders not finished: in_progress, delivered or disputed.")
    due_within_24h = count_field("In progress, due in the next 24 hours (not late yet).")
    late = count_field("In progress and past due_at.")
    delivered = count_field("Delivered, waiting for the buyer.")
    completed = count_field("Completed orders.")
    disputed = count_field("Disputed orders, waiting for staff.")


class OrdersAtAGlanceOutput(OutputSerializer):
    as_buyer = BuyerSummaryOutput()
    as_seller = SellerSummaryOutput()
