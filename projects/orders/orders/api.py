"""The order HTTP API: parse, call a service or selector, render."""

from django.conf import settings
from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .payments import webhook
from .serializers import CancelInput, MessageInput, OrderListParams, OrderOutput, OrderSummaryOutput, PlaceOrderInput


def _render(order) -> dict:
    """The order a service call has just written and returned, with its timeline.

    The service found it as the caller's (buyer or seller) and its state is what was just committed,
    so it is rendered as it is, without reading it again: only the timeline is read.
    """
    prefetch_related_objects([order], "timeline")
    return OrderOutput(order).data


class OrdersView(APIView):
    @extend_schema(parameters=[OrderListParams], responses={200: OrderSummaryOutput(many=True)})
    def get(self, request):
        params = OrderListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        orders = selectors.orders_of(request.user.id, **params.validated_data)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderSummaryOutput(page, many=True).data)

    @extend_schema(request=PlaceOrderInput, responses={201: OrderOutput})
    def post(self, request):
        order = services.place_order(buyer_id=request.user.id, **validated_input(PlaceOrderInput, request))
        return Response(_render(order), status=status.HTTP_201_CREATED)


class OrderView(APIView):
    @extend_schema(responses={200: OrderOutput})
    def get(self, request, order_id):
        order = selectors.order_for_party(order_id, request.user.id)
        if order is None:
            raise NotFound("No such order.")
        return Response(OrderOutput(order).data)


class DeliverView(APIView):
    @extend_schema(request=MessageInput, responses={200: OrderOutput})
    def post(self, request, order_id):
        order = services.deliver(order_id=order_id, user_id=request.user.id,
                                 **validated_input(MessageInput, request))
        return Response(_render(order))


class RequestRevisionView(APIView):
    @extend_schema(request=MessageInput, responses={200: OrderOutput})
    def post(self, request, order_id):
        order = services.request_revision(order_id=order_id, user_id=request.user.id,
                                          **validated_input(MessageInput, request))
        return Response(_render(order))


class AcceptView(APIView):
    @extend_schema(request=None, responses={200: OrderOutput})
    def post(self, request, order_id):
        return Response(_render(services.accept(order_id=order_id, user_id=request.user.id)))


class CancelView(APIView):
    @extend_schema(request=CancelInput, responses={200: OrderOutput})
    def post(self, request, order_id):
        order = services.cancel(order_id=order_id, user_id=request.user.id, **validated_input(CancelInput, request))
        return Response(_render(order))


class PaymentWebhookView(APIView):
    """The provider's calls: authenticated by their signature, not by a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: None})
    def post(self, request):
        raw = request.body  # the exact bytes the signature covers
        webhook.verify_signature(raw, request.headers.get("X-Payment-Signature"),
                                 secret=settings.PAYMENT_WEBHOOK_SECRET,
                                 tolerance_seconds=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS)
        outcome = services.apply_provider_event(webhook.parse_event(raw))
        return Response({"received": True, "outcome": outcome})
