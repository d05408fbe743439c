"""Input shapes of the auth API: types and formats only; rules live in services."""

from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer


class RegisterInput(InputSerializer):
    email = serializers.EmailField(max_length=254)
    username = StrictCharField(min_length=3, max_length=30)
    password = StrictCharField(max_length=128, trim_whitespace=False)

    def validate_username(self, value):
        from django.contrib.auth.validators import UnicodeUsernameValidator

        UnicodeUsernameValidator()(value)
        return value


class LoginInput(InputSerializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class RefreshInput(InputSerializer):
    refresh = StrictCharField(max_length=4096)


class PasswordChangeInput(InputSerializer):
    old_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordResetInput(InputSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(InputSerializer):
    token = StrictCharField(max_length=512)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class EmailVerifyInput(InputSerializer):
    token = StrictCharField(max_length=512)


class UserOutput(OutputSerializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    username = serializers.CharField()


class MeOutput(UserOutput):
    roles = serializers.ListField(child=serializers.CharField())
    email_verified = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class TokenPairOutput(OutputSerializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
