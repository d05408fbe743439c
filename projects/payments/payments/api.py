"""The payment HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.authentication import HasRole
from marketplace_libs.idempotency import idempotent
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .serializers import (
    BalancesOutput, CheckoutInput, LedgerEntryOutput, PaymentOutput, PayoutInput, PayoutOutput, WebhookReceipt,
)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", location=OpenApiParameter.HEADER, required=False,
    description="The same key with the same body answers the first answer again (header `Idempotent-Replayed: "
                "true`) and does nothing; with another body, 409. Kept 24 hours.")


class CheckoutView(APIView):
    @extend_schema(
        summary="Pay for an order: open (or find again) its payment at the provider",
        description="201 with a new payment; 200 with the order's payment still waiting for the buyer; a new "
                    "one after a failed payment. The client completes it with the provider using `client_secret` "
                    "(Stripe.js for `stripe`); the provider's webhook settles it.",
        request=CheckoutInput, responses={201: PaymentOutput, 200: PaymentOutput}, parameters=[IDEMPOTENCY_KEY],
        examples=[OpenApiExample("An order", request_only=True,
                                 value={"order_id": "7b2f3c4d-8e9a-4b1c-9d2e-3f4a5b6c7d8e"})])
    @problem_answers((404, "Not the caller's order."),
                     (409, "Paid or cancelled already; or `order_pending` with `Retry-After`: the order was placed "
                           "a moment ago and its terms have not reached the payment service yet."), 503)
    @idempotent
    def post(self, request):
        body = validated_input(CheckoutInput, request)
        payment, created = services.checkout(buyer_id=request.user.id, **body)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ProviderWebhookView(APIView):
    """A provider's calls: authenticated by their signature, not by a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    provider = ""

    def post(self, request):
        # request.body: the exact bytes the signature covers.
        outcome = services.apply_webhook(provider=self.provider, body=request.body, headers=request.headers)
        return Response({"received": True, "outcome": outcome})


class SandboxWebhookView(ProviderWebhookView):
    provider = "sandbox"

    @extend_schema(
        summary="The sandbox provider's webhook (not for clients)",
        description="Signed with `X-Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` "
                    "and MARKETPLACE_PAYMENT_WEBHOOK_SECRET, at most 5 minutes old. Body: `{id, type: "
                    "payment.succeeded|payment.failed|refund.succeeded, data: {payment_id, order_id, amount, "
                    "currency}}`, `payment_id` being the checkout's `id`. An event applies once (`duplicate` "
                    "after that); a failure told after the success is `ignored`.",
        parameters=[OpenApiParameter("X-Payment-Signature", location=OpenApiParameter.HEADER, required=True)],
        request={"application/json": {"type": "object"}}, responses={200: WebhookReceipt})
    @problem_answers((400, "A bad or stale signature, an unknown payment, or an amount that is not the payment's."))
    def post(self, request):
        return super().post(request)


class StripeWebhookView(ProviderWebhookView):
    provider = "stripe"

    @extend_schema(
        summary="Stripe's webhook (not for clients)",
        description="Verified with `Stripe-Signature` and MARKETPLACE_STRIPE_WEBHOOK_SECRET by the stripe library. "
                    "`payment_intent.succeeded`, `payment_intent.payment_failed` and `charge.refunded` are applied; "
                    "other types are `ignored`.",
        parameters=[OpenApiParameter("Stripe-Signature", location=OpenApiParameter.HEADER, required=True)],
        request={"application/json": {"type": "object"}}, responses={200: WebhookReceipt})
    @problem_answers((400, "A bad or stale signature, an unknown payment, or an amount that is not the payment's."))
    def post(self, request):
        return super().post(request)


class BalanceView(APIView):
    @extend_schema(summary="The caller's balances, one per currency", responses={200: BalancesOutput})
    def get(self, request):
        return Response(BalancesOutput({"balances": selectors.balances_of(request.user.id)}).data)


class LedgerView(APIView):
    pagination_class = StandardPagination

    @extend_schema(summary="The caller's ledger entries, newest first", responses={200: LedgerEntryOutput(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.ledger_of(request.user.id), request, view=self)
        return paginator.get_paginated_response(LedgerEntryOutput(page, many=True).data)


class PayoutsView(APIView):
    pagination_class = StandardPagination

    def get_permissions(self):
        return [HasRole.named("seller")()]

    @extend_schema(summary="The caller's payouts, newest first", responses={200: PayoutOutput(many=True)})
    @problem_answers((403, "Not a seller."))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.payouts_of(request.user.id), request, view=self)
        return paginator.get_paginated_response(PayoutOutput(page, many=True).data)

    @extend_schema(
        summary="Withdraw available money",
        description="The amount leaves the available balance at once; the scheduler pays it through the provider "
                    "within a minute (`paid`), or it comes back (`failed`).",
        request=PayoutInput, responses={201: PayoutOutput}, parameters=[IDEMPOTENCY_KEY],
        examples=[OpenApiExample("A payout", request_only=True, value={"amount": "100.00", "currency": "USD"})])
    @problem_answers((400, "A float, more than two decimal places, or under MARKETPLACE_PAYOUT_MINIMUM."),
                     (403, "Not a seller."), (409, "More than the available balance."))
    @idempotent
    def post(self, request):
        payout = services.request_payout(seller_id=request.user.id, **validated_input(PayoutInput, request))
        return Response(PayoutOutput(payout).data, status=status.HTTP_201_CREATED)
