"""Input and output shapes of the review API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer

from .models import COMMENT_MAX, REPLY_MAX, Direction, Status


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: DRF's IntegerField would take "5", 5.0 and true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReviewInput(InputSerializer):
    order_id = serializers.UUIDField()
    rating = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=COMMENT_MAX, allow_blank=True, required=False, default="")


class ReplyInput(InputSerializer):
    comment = StrictCharField(min_length=1, max_length=REPLY_MAX)


class SubjectParams(serializers.Serializer):
    gig_id = serializers.UUIDField(required=False, help_text="The gig's reviews (by its buyers).")
    seller_id = serializers.UUIDField(required=False, help_text="The seller's reviews (by their buyers).")
    buyer_id = serializers.UUIDField(required=False, help_text="The buyer's reviews (by their sellers).")

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError({"gig_id": ["Give one of gig_id, seller_id and buyer_id."]})
        return attrs


class ListParams(SubjectParams):
    order_id = serializers.UUIDField(required=False, help_text="The reviews of one order that the caller may "
                                                               "read: the published ones and their own.")

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError({"gig_id": ["Give one of gig_id, seller_id, buyer_id and order_id."]})
        return attrs


class PersonOutput(OutputSerializer):
    id = serializers.UUIDField(source="user_id")
    username = serializers.CharField()


class ReplyOutput(OutputSerializer):
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewOutput(OutputSerializer):
    """``status`` is ``hidden`` (seen by its author alone) until both parties have reviewed or the window closed."""

    id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    buyer_id = serializers.UUIDField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    author = PersonOutput(help_text="Who wrote it: the buyer (buyer_to_seller) or the seller (seller_to_buyer).")
    buyer = serializers.SerializerMethodField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    reply = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(PersonOutput(allow_null=True))
    def get_buyer(self, review) -> dict | None:
        """The order's buyer; null for a buyer whose name has not reached this service yet. The view puts the
        buyers' cards in the context (``buyers``) for the reviews a seller wrote."""
        if review.direction == Direction.BUYER_TO_SELLER:
            return PersonOutput(review.author).data
        buyer = self.context.get("buyers", {}).get(review.buyer_id)
        return None if buyer is None else PersonOutput(buyer).data

    @extend_schema_field(ReplyOutput(allow_null=True))
    def get_reply(self, review) -> dict | None:
        if review.replied_at is None:
            return None
        return {"comment": review.reply, "created_at": serializers.DateTimeField().to_representation(review.replied_at)}


class SummaryOutput(OutputSerializer):
    """Published reviews of a gig, a seller or a buyer: the average (two decimals, null without reviews), the count,
    and the count per star ("1" to "5")."""

    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    rating_count = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())
