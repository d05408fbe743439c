"""Input and output shapes of the review API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer

from .models import COMMENT_MAX, REPLY_MAX


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
    gig_id = serializers.UUIDField(required=False, help_text="The gig's reviews; give this or seller_id.")
    seller_id = serializers.UUIDField(required=False, help_text="The seller's reviews; give this or gig_id.")

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError({"gig_id": ["Give gig_id or seller_id (one of them)."]})
        return attrs


class BuyerOutput(serializers.Serializer):
    id = serializers.UUIDField(source="user_id")
    username = serializers.CharField()


class ReplyOutput(serializers.Serializer):
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewOutput(serializers.Serializer):
    id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    buyer = BuyerOutput()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    reply = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(ReplyOutput(allow_null=True))
    def get_reply(self, review) -> dict | None:
        if review.replied_at is None:
            return None
        return {"comment": review.reply, "created_at": serializers.DateTimeField().to_representation(review.replied_at)}


class SummaryOutput(serializers.Serializer):
    """Visible reviews of a gig or a seller: the average (two decimals, null without reviews), the count,
    and the count per star ("1" to "5")."""

    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    rating_count = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())
