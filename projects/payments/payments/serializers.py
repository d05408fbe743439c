"""Input and output shapes of the payment API."""

from rest_framework import serializers

from marketplace_libs.fields import MoneyField, StrictUUIDField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer

from .models import Account, Movement, PayoutStatus, Provider


class CheckoutInput(InputSerializer):
    order_id = StrictUUIDField()
    provider = serializers.ChoiceField(choices=Provider.choices, required=False,
                                       help_text="One of the enabled providers; the deployment's default if absent.")


class PayoutInput(InputSerializer):
    amount = MoneyField(help_text='A decimal string with at most two places, e.g. "25.00"; '
                                  "at least MARKETPLACE_PAYOUT_MINIMUM.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. USD.",
                                      error_messages={"invalid": "An ISO 4217 code in capitals, e.g. USD."})

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be more than 0.")
        return value


class PaymentOutput(OutputSerializer):
    id = serializers.UUIDField()
    order_id = StrictUUIDField()
    provider = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField()
    created_at = serializers.DateTimeField()


class BalanceOutput(OutputSerializer):
    currency = serializers.CharField()
    pending = MoneyField(help_text="Earned, clearing: available after MARKETPLACE_CLEARANCE_DAYS.")
    available = MoneyField(help_text="Can be paid out.")
    in_transit = MoneyField(help_text="Asked for as payouts, not yet paid.")
    withdrawn = MoneyField(help_text="Paid out.")
    lifetime_earnings = MoneyField()


class BalancesOutput(OutputSerializer):
    balances = BalanceOutput(many=True)


class LedgerEntryOutput(OutputSerializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Movement.choices)
    account = serializers.ChoiceField(choices=Account.choices)
    order_id = serializers.UUIDField(allow_null=True)
    payout_id = serializers.UUIDField(allow_null=True)
    amount = MoneyField(help_text="Signed: positive into the account, negative out of it.")
    currency = serializers.CharField()
    available_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class PayoutOutput(OutputSerializer):
    id = serializers.UUIDField()
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PayoutStatus.choices)
    provider = serializers.CharField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)


class WebhookReceipt(OutputSerializer):
    received = serializers.BooleanField()
    outcome = serializers.ChoiceField(choices=("applied", "duplicate", "ignored"))
