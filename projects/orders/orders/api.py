"""The order HTTP API: parse, call a service or selector, render."""

from django.conf import settings
from django.db.models import prefetch_related_objects
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .payments import webhook
from .serializers import (
    CancelInput, MessageInput, OrderListParams, OrderOutput, OrderSummaryOutput, PlaceOrderInput, WebhookEventInput,
)


def _render(order) -> dict:
    """The order a service call has just written and returned, with its timeline.

    The service found it as the caller's (buyer or seller) and its state is what was just committed,
    so it is rendered as it is, without reading it again: only the timeline is read.
    """
    prefetch_related_objects([order], "timeline")
    return OrderOutput(order).data


WRONG_PARTY = (403, "The other party of the order does this step.")
WRONG_STATE = (409, "Not possible in the order's current status.")


class OrdersView(APIView):
    pagination_class = StandardPagination

    @extend_schema(summary="The caller's orders, as buyer and as seller, newest first",
                   parameters=[OrderListParams], responses={200: OrderSummaryOutput(many=True)})
    def get(self, request):
        params = OrderListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        orders = selectors.orders_of(request.user.id, **params.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderSummaryOutput(page, many=True).data)

    @extend_schema(summary="Order a package of a gig", request=PlaceOrderInput, responses={201: OrderOutput},
                   description="The order starts `pending_payment` with a payment at the provider; it moves to "
                               "`in_progress` when the provider's webhook confirms the payment.",
                   examples=[OpenApiExample("The standard package", request_only=True, value={
                       "gig_id": "0d7e5a3c-6b8f-4f5e-9b2a-3c1d4e5f6a7b", "package": "standard",
                       "requirements": "Our brand is Acme Tea; green and gold, please."})])
    @problem_answers((403, "Sellers cannot order their own gigs."),
                     (409, "The order service does not know the gig yet (`gig_pending`, with `Retry-After`): "
                           "a gig published in the last seconds becomes orderable shortly."), 503)
    def post(self, request):
        order = services.place_order(buyer_id=request.user.id, **validated_input(PlaceOrderInput, request))
        return Response(_render(order), status=status.HTTP_201_CREATED)


class OrderView(APIView):
    @extend_schema(summary="One of the caller's orders, with its timeline", responses={200: OrderOutput})
    def get(self, request, order_id):
        order = selectors.order_for_party(order_id, request.user.id)
        if order is None:
            raise NotFound("No such order.")
        return Response(OrderOutput(order).data)


class DeliverView(APIView):
    @extend_schema(summary="Deliver the work (the seller; in progress or revision requested)",
                   request=MessageInput, responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE)
    def post(self, request, order_id):
        order = services.deliver(order_id=order_id, user_id=request.user.id,
                                 **validated_input(MessageInput, request))
        return Response(_render(order))


class RequestRevisionView(APIView):
    @extend_schema(summary="Ask for a revision of a delivery (the buyer)", request=MessageInput,
                   responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, (409, "Not delivered, or every revision of the package is used."))
    def post(self, request, order_id):
        order = services.request_revision(order_id=order_id, user_id=request.user.id,
                                          **validated_input(MessageInput, request))
        return Response(_render(order))


class AcceptView(APIView):
    @extend_schema(summary="Accept a delivery: the order completes (the buyer)", request=None,
                   responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE)
    def post(self, request, order_id):
        return Response(_render(services.accept(order_id=order_id, user_id=request.user.id)))


class CancelView(APIView):
    @extend_schema(summary="Cancel an order (either party, before delivery); a paid order is refunded",
                   request=CancelInput, responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE, 503)
    def post(self, request, order_id):
        order = services.cancel(order_id=order_id, user_id=request.user.id, **validated_input(CancelInput, request))
        return Response(_render(order))


class PaymentWebhookView(APIView):
    """The provider's calls: authenticated by their signature, not by a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The payment provider's webhook (not for clients)",
        description="Signed with `X-Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`; "
                    "an event is applied once (`duplicate` after that). A `payment.failed` after the payment "
                    "succeeded changes nothing (`ignored`).",
        parameters=[OpenApiParameter("X-Payment-Signature", location=OpenApiParameter.HEADER, required=True,
                                     description="t=<unix seconds>,v1=<hex HMAC-SHA256>")],
        request=WebhookEventInput,
        responses={200: inline_serializer("WebhookReceipt", {
            "received": serializers.BooleanField(),
            "outcome": serializers.ChoiceField(choices=("applied", "duplicate", "ignored")),
        })},
        examples=[OpenApiExample("Payment succeeded", request_only=True, value={
            "id": "evt_1", "type": "payment.succeeded",
            "data": {"payment_id": "pay_1", "order_id": "7b0f3c1e-2a51-4c1e-9d33-6f1f2b8f0a11", "amount": "60.00",
                     "currency": "USD"}})],
    )
    def post(self, request):
        raw = request.body  # the exact bytes the signature covers
        webhook.verify_signature(raw, request.headers.get("X-Payment-Signature"),
                                 secret=settings.PAYMENT_WEBHOOK_SECRET,
                                 tolerance_seconds=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS)
        outcome = services.apply_provider_event(webhook.parse_event(raw))
        return Response({"received": True, "outcome": outcome})
