"""Input and output shapes of the user API."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer

from . import trust
from . import validators as rules
from .models import Level


class ProfileInput(InputSerializer):
    display_name = StrictCharField(max_length=rules.DISPLAY_NAME_MAX, allow_blank=True, trim_whitespace=True)
    bio = StrictCharField(max_length=rules.BIO_MAX, allow_blank=True, trim_whitespace=False)
    country = StrictCharField(allow_blank=True, max_length=2)
    languages = serializers.ListField(child=StrictCharField(max_length=8), allow_empty=True)
    skills = serializers.ListField(child=StrictCharField(max_length=200, allow_blank=True), allow_empty=True)
    avatar = serializers.FileField(allow_null=True, allow_empty_file=True, use_url=False)

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        rules.validate_country(value)
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        value = rules.normalized_languages(value)
        rules.validate_languages(value)
        return value

    def validate_skills(self, value: list[str]) -> list[str]:
        rules.validate_skills(value)
        return rules.normalized_skills(value)


class SellerInput(InputSerializer):
    headline = StrictCharField(min_length=rules.HEADLINE_MIN, max_length=rules.HEADLINE_MAX)
    description = StrictCharField(min_length=rules.DESCRIPTION_MIN, max_length=rules.DESCRIPTION_MAX)


class PreferencesInput(InputSerializer):
    email_notifications = serializers.BooleanField()
    message_emails = serializers.BooleanField()
    language = StrictCharField(validators=[rules.validate_language])
    currency = StrictCharField(validators=[rules.validate_currency])
    timezone = StrictCharField(validators=[rules.validate_timezone])
    show_online_status = serializers.BooleanField()


class SellerOutput(OutputSerializer):
    headline = serializers.CharField()
    description = serializers.CharField()
    activated_at = serializers.DateTimeField()


class PreferencesOutput(OutputSerializer):
    email_notifications = serializers.BooleanField()
    message_emails = serializers.BooleanField()
    language = serializers.CharField()
    currency = serializers.CharField()
    timezone = serializers.CharField()
    show_online_status = serializers.BooleanField()


class StatsOutput(OutputSerializer):
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    rating_count = serializers.IntegerField()
    orders_completed = serializers.IntegerField()


class BuyerStatsOutput(OutputSerializer):
    """The published reviews sellers wrote of this user as a buyer."""

    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True, source="buyer_rating_avg")
    rating_count = serializers.IntegerField(source="buyer_rating_count")


class PublicProfileOutput(OutputSerializer):
    id = serializers.UUIDField(source="user_id")
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    country = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    skills = serializers.ListField(child=serializers.CharField())
    avatar_url = serializers.SerializerMethodField()
    is_seller = serializers.BooleanField()
    seller = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()
    buyer_stats = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField(help_text="The seller level (docs/trust-signals.md); null for a "
                                                        "user who is not a seller.")
    on_time_rate = serializers.SerializerMethodField(
        help_text="Of the seller's orders whose timeliness is known, the share delivered by the due time "
                  "(two places, rounded down); null before the first.")
    response_time_hours = serializers.DecimalField(
        max_digits=6, decimal_places=1, allow_null=True, read_only=True,
        help_text="The median hours to the seller's first reply to a buyer's first message, over the conversations "
                  "opened in the last 30 days; null when none was answered.")
    online = serializers.SerializerMethodField(help_text="A chat socket is open; null when the user hides it.")
    last_seen_at = serializers.SerializerMethodField(
        help_text="When the user was last on chat (now, when online), rounded down to 5 minutes; null when never "
                  "seen or hidden.")
    created_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_avatar_url(self, profile) -> str | None:
        if not profile.avatar:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(profile.avatar.url) if request else profile.avatar.url

    @extend_schema_field(SellerOutput(allow_null=True))
    def get_seller(self, profile) -> dict | None:
        return SellerOutput(profile.seller).data if profile.is_seller else None

    @extend_schema_field(StatsOutput)
    def get_stats(self, profile) -> dict:
        return StatsOutput(profile).data

    @extend_schema_field(BuyerStatsOutput)
    def get_buyer_stats(self, profile) -> dict:
        return BuyerStatsOutput(profile).data

    @extend_schema_field({"type": "string", "enum": [*Level.values, None], "nullable": True})
    def get_level(self, profile) -> str | None:
        return profile.level if profile.is_seller else None

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_on_time_rate(self, profile) -> str | None:
        shown = trust.rate(getattr(profile, "on_time_orders", 0) or 0, getattr(profile, "timed_orders", 0) or 0)
        return None if shown is None else str(shown)

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_online(self, profile) -> bool | None:
        presence = self._presence(profile)
        return None if presence is None else presence[0]

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_last_seen_at(self, profile) -> str | None:
        presence = self._presence(profile)
        return None if presence is None or presence[1] is None else serializers.DateTimeField().to_representation(
            presence[1])

    def _presence(self, profile):
        """``(online, last_seen_at)``, or None when the user hides them from this viewer."""
        request = self.context.get("request")
        viewer_id = str(getattr(request.user, "id", "") or "") if request else ""
        if not profile.preferences.show_online_status and viewer_id != str(profile.user_id):
            return None
        return trust.shown_presence(online=getattr(profile, "presence_online", None),
                                    changed_at=getattr(profile, "presence_changed_at", None), now=timezone.now())


class ProfileOutput(PublicProfileOutput):
    """The owner's view: the public profile and the preferences (never the email: the auth service owns it)."""

    preferences = PreferencesOutput()
