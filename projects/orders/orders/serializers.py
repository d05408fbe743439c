"""Input and output shapes of the order API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer

from .models import OrderStatus

TIERS = ("basic", "standard", "premium")


class PlaceOrderInput(InputSerializer):
    gig_id = serializers.UUIDField()
    package = serializers.ChoiceField(choices=TIERS)
    requirements = StrictCharField(max_length=5000, allow_blank=True, required=False, default="")


class MessageInput(InputSerializer):
    message = StrictCharField(min_length=1, max_length=5000)


class CancelInput(InputSerializer):
    reason = StrictCharField(min_length=1, max_length=1000)


class OrderListParams(serializers.Serializer):
    role = serializers.ChoiceField(choices=("buyer", "seller"), required=False,
                                   help_text="Only the orders the caller placed (buyer) or sells (seller).")
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, help_text="Only this status.")


class TimelineOutput(serializers.Serializer):
    type = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    message = serializers.CharField()
    at = serializers.DateTimeField()


class PaymentOutput(serializers.Serializer):
    provider = serializers.CharField(source="payment_provider")
    payment_id = serializers.CharField()
    status = serializers.CharField(source="payment_status")


class OrderSummaryOutput(serializers.Serializer):
    """An order in a list: everything but the requirements and the timeline."""

    id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    package = serializers.CharField()
    title = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    currency = serializers.CharField()
    buyer_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    status = serializers.CharField()
    delivery_days = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField()
    revisions_allowed = serializers.SerializerMethodField()
    revisions_used = serializers.IntegerField()
    payment = PaymentOutput(source="*")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["unlimited"]}]})
    def get_revisions_allowed(self, order) -> int | str:
        return "unlimited" if order.revisions_allowed is None else order.revisions_allowed


class OrderOutput(OrderSummaryOutput):
    """One order, with the buyer's requirements and its timeline."""

    requirements = serializers.CharField()
    timeline = TimelineOutput(many=True, source="timeline.all")


class WebhookPaymentData(serializers.Serializer):
    payment_id = serializers.CharField()
    order_id = serializers.CharField()
    amount = serializers.DecimalField(max_digits=9, decimal_places=2)
    currency = serializers.CharField()


class WebhookEventInput(serializers.Serializer):
    """The provider's event, for the schema: the view verifies the signature over the raw bytes, then
    ``payments.webhook.parse_event`` reads them."""

    id = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(choices=("payment.succeeded", "payment.failed", "refund.succeeded"))
    data = WebhookPaymentData()
