"""Input and output shapes of the gig API."""

from __future__ import annotations

import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs import reference
from marketplace_libs.errors import InvalidInput
from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer

from . import rules, selectors
from .models import TIER_ORDER, GigStatus, PackageTier
from .search import ORDERINGS

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9 +#.-]*$")


REVISIONS_SCHEMA = {"oneOf": [
    {"type": "integer", "minimum": 0, "maximum": rules.REVISIONS_MAX},
    {"type": "string", "enum": [rules.UNLIMITED]},
], "description": f"Revisions included: a whole number from 0 to {rules.REVISIONS_MAX}, or \"{rules.UNLIMITED}\"."}


@extend_schema_field(REVISIONS_SCHEMA)
class RevisionsField(serializers.Field):
    """0 to 10, or "unlimited" (stored as NULL)."""

    default_error_messages = {"invalid": f"A whole number from 0 to {rules.REVISIONS_MAX}, or \"{rules.UNLIMITED}\"."}

    def to_internal_value(self, data):
        if data == rules.UNLIMITED:
            return None
        if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data <= rules.REVISIONS_MAX:
            self.fail("invalid")
        return data


class PackageInput(InputSerializer):
    tier = serializers.ChoiceField(choices=PackageTier.choices)
    title = StrictCharField(min_length=rules.PACKAGE_TITLE_MIN, max_length=rules.PACKAGE_TITLE_MAX)
    description = StrictCharField(max_length=rules.PACKAGE_DESCRIPTION_MAX, allow_blank=True, required=False,
                                  default="")
    price = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=rules.PRICE_MIN,
                                     max_value=rules.PRICE_MAX, coerce_to_string=True)
    currency = serializers.ChoiceField(choices=reference.SUPPORTED_CURRENCIES)
    delivery_days = serializers.IntegerField(min_value=rules.DELIVERY_DAYS_MIN, max_value=rules.DELIVERY_DAYS_MAX)
    revisions = RevisionsField()


class GigInput(InputSerializer):
    title = StrictCharField(min_length=rules.TITLE_MIN, max_length=rules.TITLE_MAX)
    description = StrictCharField(min_length=rules.DESCRIPTION_MIN, max_length=rules.DESCRIPTION_MAX,
                                  trim_whitespace=False)
    category = StrictCharField(max_length=60)
    tags = serializers.ListField(child=StrictCharField(min_length=rules.TAG_MIN, max_length=rules.TAG_MAX),
                                 max_length=rules.MAX_TAGS, required=False, default=list)
    status = serializers.ChoiceField(choices=GigStatus.choices, required=False)
    packages = PackageInput(many=True, allow_empty=False, max_length=rules.MAX_PACKAGES)

    def validate_category(self, slug: str):
        # Looked up here, with the other fields, so that one answer names every bad field.
        try:
            return selectors.category_by_slug(slug)
        except InvalidInput as unknown:
            raise serializers.ValidationError(unknown.errors["category"]) from None

    def validate_tags(self, tags: list[str]) -> list[str]:
        normalized = list(dict.fromkeys(tag.strip().lower() for tag in tags))
        bad = [tag for tag in normalized if not TAG_PATTERN.match(tag)]
        if bad:
            raise serializers.ValidationError(f"Tags are letters, digits, spaces and + # . -: {', '.join(bad)}.")
        return normalized

    def validate_packages(self, packages: list[dict]) -> list[dict]:
        tiers = [package["tier"] for package in packages]
        if len(set(tiers)) != len(tiers):
            raise serializers.ValidationError("One package per tier.")
        if len({package["currency"] for package in packages}) > 1:
            raise serializers.ValidationError("Every package of a gig has the same currency.")
        return sorted(packages, key=lambda package: TIER_ORDER[package["tier"]])


class SearchParams(serializers.Serializer):
    """Query parameters of ``GET /api/gigs/``; page and page_size belong to the paginator."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Words to find in the title, tags and description.")
    category = serializers.SlugField(required=False, max_length=60,
                                     help_text="A category's slug; its subcategories are included.")
    min_price = serializers.DecimalField(required=False, max_digits=9, decimal_places=2, min_value=Decimal("0"),
                                         help_text="Lowest `price_from` (the cheapest package).")
    max_price = serializers.DecimalField(required=False, max_digits=9, decimal_places=2, min_value=Decimal("0"),
                                         help_text="Highest `price_from`; not below `min_price`.")
    delivery_days = serializers.IntegerField(required=False, min_value=1, max_value=rules.DELIVERY_DAYS_MAX,
                                             help_text="A package delivered within this many days.")
    min_rating = serializers.DecimalField(required=False, max_digits=3, decimal_places=2, min_value=Decimal("0"),
                                          max_value=Decimal("5"), help_text="Lowest average rating.")
    seller = serializers.CharField(required=False, max_length=36, help_text="The seller's username or user id.")
    tags = serializers.CharField(required=False, max_length=200,
                                 help_text=f"Comma-separated tags, every one required (at most {rules.MAX_TAGS}).")
    ordering = serializers.ChoiceField(required=False, choices=ORDERINGS,
                                       help_text="`relevance` (the default with `q`), else newest first.")

    def validate_tags(self, value: str) -> list[str]:
        tags = [tag.strip().lower() for tag in value.split(",") if tag.strip()]
        if len(tags) > rules.MAX_TAGS:
            raise serializers.ValidationError(f"At most {rules.MAX_TAGS} tags.")
        return tags

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_price": ["Must not be below min_price."]})
        return attrs


class CategoryOutput(OutputSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.SerializerMethodField()

    def get_parent(self, category) -> str | None:
        return category.parent.slug if category.parent_id else None


class PackageOutput(OutputSerializer):
    tier = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField()
    revisions = serializers.SerializerMethodField()

    @extend_schema_field(REVISIONS_SCHEMA)
    def get_revisions(self, package) -> int | str:
        # A method field: DRF hands None straight out without asking a field to represent it.
        return rules.UNLIMITED if package.revisions is None else package.revisions


class SellerOutput(OutputSerializer):
    id = serializers.UUIDField(source="user_id")
    username = serializers.CharField()
    display_name = serializers.CharField()
    level = serializers.ChoiceField(choices=["new", "level_one", "level_two", "top_rated"],
                                    help_text="The seller level the user service computes (docs/trust-signals.md).")


class ImageOutput(OutputSerializer):
    """Links that work for a few minutes (docs/files.md): fetch the gig again for fresh ones."""

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField(help_text="Null until the worker has made it.")

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, image) -> str:
        return self._absolute(image.file.url)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_thumbnail_url(self, image) -> str | None:
        return self._absolute(image.thumbnail.url) if image.thumbnail else None

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class GigSummaryOutput(OutputSerializer):
    """A gig in a list: everything but the long description; its cheapest package's price as ``price_from``."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    tags = serializers.SerializerMethodField()
    status = serializers.CharField()
    seller = SellerOutput()
    price_from = serializers.DecimalField(max_digits=9, decimal_places=2)
    currency = serializers.CharField()
    packages = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    rating_count = serializers.IntegerField()
    orders_count = serializers.IntegerField()
    favourites_count = serializers.IntegerField(help_text="How many users have saved the gig.")
    is_favourite = serializers.SerializerMethodField(
        help_text="Whether the caller has saved the gig; null without a token.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_tags(self, gig) -> list[str]:
        return sorted(tag.name for tag in gig.tags.all())

    @extend_schema_field(PackageOutput(many=True))
    def get_packages(self, gig) -> list[dict]:
        packages = sorted(gig.packages.all(), key=lambda package: TIER_ORDER[package.tier])
        return PackageOutput(packages, many=True).data

    @extend_schema_field(ImageOutput(many=True))
    def get_images(self, gig) -> list[dict]:
        return ImageOutput(gig.images.all(), many=True, context=self.context).data

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_is_favourite(self, gig) -> bool | None:
        # The view reads the caller's favourites among the page's gigs once (favourite_context), not per gig.
        favourite_ids = self.context.get("favourite_ids")
        return None if favourite_ids is None else gig.pk in favourite_ids



class SavedGigOutput(GigSummaryOutput):
    """A gig in the caller's favourites (its own name in the schema: the page has no facets)."""

    saved_at = serializers.DateTimeField(help_text="When the caller saved it.")


class GigOutput(GigSummaryOutput):
    """One gig, with its description."""

    description = serializers.CharField()
