from rest_framework import serializers

from .models import Gig, GigImage, Order, Package, Seller, User

TIER_ORDER = {"basic": 0, "standard": 1, "premium": 2}


class PackageSerializer(serializers.ModelSerializer):
    revisions = serializers.SerializerMethodField()

    class Meta:
        model = Package
        fields = ["tier", "title", "description", "price", "currency", "delivery_days", "revisions"]

    def get_revisions(self, package):
        return "unlimited" if package.revisions is None else package.revisions


class SellerSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="user_id")

    class Meta:
        model = Seller
        fields = ["id", "username", "display_name", "level"]


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="file")
    thumbnail_url = serializers.CharField(source="thumbnail")

    class Meta:
        model = GigImage
        fields = ["id", "url", "thumbnail_url"]


class GigSummarySerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.slug")
    tags = serializers.SerializerMethodField()
    seller = SellerSerializer()
    packages = serializers.SerializerMethodField()
    images = ImageSerializer(many=True)
    is_favourite = serializers.BooleanField(allow_null=True, read_only=True)

    class Meta:
        model = Gig
        fields = ["id", "title", "category", "tags", "status", "seller", "price_from", "currency", "packages",
                  "images", "rating_avg", "rating_count", "orders_count", "favourites_count", "is_favourite",
                  "created_at", "updated_at"]

    def get_tags(self, gig):
        return sorted(tag.name for tag in gig.tags.all())

    def get_packages(self, gig):
        return PackageSerializer(sorted(gig.packages.all(), key=lambda p: TIER_ORDER[p.tier]), many=True).data


class GigSerializer(GigSummarySerializer):
    class Meta(GigSummarySerializer.Meta):
        fields = [*GigSummarySerializer.Meta.fields, "description"]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "username", "roles", "email_verified", "date_joined"]

    def get_roles(self, user):
        return ["buyer", *(["seller"] if user.is_seller else []), *(["staff"] if user.is_staff else [])]

    def get_email_verified(self, user):
        return user.email_verified_at is not None


class OrderSerializer(serializers.ModelSerializer):
    revisions_allowed = serializers.SerializerMethodField()
    late = serializers.BooleanField(read_only=True)

    class Meta:
        model = Order
        fields = ["id", "gig_id", "package", "title", "price", "service_fee", "total", "seller_earnings",
                  "currency", "payment_status", "refunded_total", "buyer_id", "seller_id", "status", "delivery_days",
                  "due_at", "late", "revisions_allowed", "revisions_used", "created_at", "updated_at"]

    def get_revisions_allowed(self, order):
        return "unlimited" if order.revisions_allowed is None else order.revisions_allowed

    def to_representation(self, order):
        data = super().to_representation(order)
        if str(order.seller_id) != str(self.context["request"].user.id):
            del data["seller_earnings"]
        return data


class PlaceOrderSerializer(serializers.Serializer):
    gig_id = serializers.UUIDField()
    package = serializers.ChoiceField(choices=list(TIER_ORDER))
    requirements = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
