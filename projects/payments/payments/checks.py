"""Start-up checks of the payment configuration: a typo in a provider's name fails at start, not at checkout."""

from django.conf import settings
from django.core.checks import Error, register

from .providers import KNOWN


@register()
def payment_providers_are_known(app_configs, **kwargs):
    errors = []
    if settings.PAYMENT_PROVIDER not in KNOWN:
        errors.append(Error(f"MARKETPLACE_PAYMENT_PROVIDER={settings.PAYMENT_PROVIDER!r} is not one of "
                            f"{', '.join(KNOWN)}.", id="payments.E001"))
    unknown = [name for name in settings.PAYMENT_PROVIDERS if name not in KNOWN]
    if unknown:
        errors.append(Error(f"MARKETPLACE_PAYMENT_PROVIDERS names unknown providers: {', '.join(unknown)}.",
                            id="payments.E002"))
    if settings.PAYMENT_PROVIDER not in settings.PAYMENT_PROVIDERS:
        errors.append(Error(f"The default provider {settings.PAYMENT_PROVIDER!r} must be one of "
                            "MARKETPLACE_PAYMENT_PROVIDERS, since a checkout that names none uses it.",
                            id="payments.E003"))
    return errors
