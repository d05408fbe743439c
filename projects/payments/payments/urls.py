from django.urls import path

from . import api

urlpatterns = [
    path("checkout", api.CheckoutView.as_view(), name="checkout"),
    path("webhooks/sandbox", api.SandboxWebhookView.as_view(), name="webhook-sandbox"),
    path("webhooks/stripe", api.StripeWebhookView.as_view(), name="webhook-stripe"),
    path("balance", api.BalanceView.as_view(), name="balance"),
    path("ledger", api.LedgerView.as_view(), name="ledger"),
    path("payouts", api.PayoutsView.as_view(), name="payouts"),
]
