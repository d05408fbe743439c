"""The order HTTP API: parse, call a service or selector, render."""

from django.db.models import prefetch_related_objects
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.authentication import HasRole, require_verified_email
from marketplace_libs.errors import NotFound
from marketplace_libs.files.uploads import receive_file
from marketplace_libs.idempotency import HEADER as IDEMPOTENCY_KEY, idempotent
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import disputes, extensions, offers, selectors, services
from .serializers import (
    CancelInput, DeliverInput, DisputeInput, DisputeOutput, ExtensionInput, ExtensionOutput, MessageInput,
    OfferInput, OfferListParams, OfferOutput, OrderFileOutput, OrderListParams, OrderOutput, OrderSummaryOutput,
    OrdersAtAGlanceOutput, PlaceOrderInput,
)


def _viewed_by(request) -> dict:
    """The serializers' context: who is looking (the seller alone sees ``seller_earnings``)."""
    return {"viewer_id": request.user.id}


def _render(request, order) -> dict:
    """The order a service call has just written and returned, with its timeline.

    The service found it as the caller's (buyer or seller) and its state is what was just committed,
    so it is rendered as it is, without reading it again: only the timeline is read.
    """
    prefetch_related_objects([order], *selectors.ORDER_DETAIL)
    return OrderOutput(order, context=_viewed_by(request)).data


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
        return paginator.get_paginated_response(OrderSummaryOutput(page, many=True, context=_viewed_by(request)).data)

    @extend_schema(summary="Order a package of a gig", request=PlaceOrderInput, responses={201: OrderOutput},
                   parameters=[OpenApiParameter(
                       IDEMPOTENCY_KEY, location=OpenApiParameter.HEADER, required=False,
                       description="Retry safely: the same key and body answer the first answer again and order "
                                   "nothing more (`Idempotent-Replayed: true`); the same key with another body is "
                                   "409 `idempotency_key_reused`. Per user, kept 24 hours.")],
                   description="The order starts `pending_payment` with its money terms (price, service_fee, "
                               "total, seller_earnings); the buyer pays `total` through `POST /api/payments/checkout`, "
                               "and the order moves to `in_progress` when the payment service reports the payment.",
                   examples=[OpenApiExample("The standard package", request_only=True, value={
                       "gig_id": "0d7e5a3c-6b8f-4f5e-9b2a-3c1d4e5f6a7b", "package": "standard",
                       "requirements": "Our brand is Acme Tea; green and gold, please."})])
    @problem_answers((403, "Sellers cannot order their own gigs; `email_unverified`: the caller's email address is "
                           "not confirmed yet (see the auth service's `email/verify`)."),
                     (409, "`gig_pending` (with `Retry-After`): the order service does not know the gig yet; a gig "
                           "published in the last seconds becomes orderable shortly. `idempotency_key_reused`: the "
                           "Idempotency-Key was used before with another body."))
    @idempotent
    def post(self, request):
        require_verified_email(request.user)
        order = services.place_order(buyer_id=request.user.id, **validated_input(PlaceOrderInput, request))
        return Response(_render(request, order), status=status.HTTP_201_CREATED)


class SummaryView(APIView):
    @extend_schema(summary="What needs the caller's attention: their orders counted as buyer and as seller",
                   description="Counts at this moment; docs/orders.md (\"Summary\") defines each.",
                   responses={200: OrdersAtAGlanceOutput})
    def get(self, request):
        return Response(OrdersAtAGlanceOutput(selectors.summary_for(request.user.id)).data)


class OrderView(APIView):
    @extend_schema(summary="One of the caller's orders, with its timeline", responses={200: OrderOutput})
    def get(self, request, order_id):
        order = selectors.order_for_party(order_id, request.user.id)
        if order is None:
            raise NotFound("No such order.")
        return Response(OrderOutput(order, context=_viewed_by(request)).data)


class DeliverView(APIView):
    @extend_schema(summary="Deliver the work (the seller; in progress or revision requested)",
                   description="`file_ids`: files the seller uploaded to this order and has not delivered; "
                               "any other id is 400 and nothing is delivered.",
                   request=DeliverInput, responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE)
    def post(self, request, order_id):
        order = services.deliver(order_id=order_id, user_id=request.user.id,
                                 **validated_input(DeliverInput, request))
        return Response(_render(request, order))


class RequestRevisionView(APIView):
    @extend_schema(summary="Ask for a revision of a delivery (the buyer)", request=MessageInput,
                   responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, (409, "Not delivered, or every revision of the package is used."))
    def post(self, request, order_id):
        order = services.request_revision(order_id=order_id, user_id=request.user.id,
                                          **validated_input(MessageInput, request))
        return Response(_render(request, order))


class AcceptView(APIView):
    @extend_schema(summary="Accept a delivery: the order completes (the buyer)", request=None,
                   responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE)
    def post(self, request, order_id):
        return Response(_render(request, services.accept(order_id=order_id, user_id=request.user.id)))


class CancelView(APIView):
    @extend_schema(summary="Cancel an order: the buyer before paying or once it is late, the seller while in "
                           "progress; the payment service refunds a paid one in full",
                   request=CancelInput, responses={200: OrderOutput})
    @problem_answers(WRONG_PARTY, WRONG_STATE)
    def post(self, request, order_id):
        order = services.cancel(order_id=order_id, user_id=request.user.id, **validated_input(CancelInput, request))
        return Response(_render(request, order))


def _party_order(request, order_id):
    order = selectors.order_for_party(order_id, request.user.id)
    if order is None:
        raise NotFound("No such order.")
    return order


class OrderFilesView(APIView):
    parser_classes = [MultiPartParser, JSONParser]  # JSON: to answer 400 "send a file", not 415

    @extend_schema(summary="The order's files the caller may see",
                   description="The buyer's files, the caller's own, and every delivered file.",
                   responses={200: OrderFileOutput(many=True)})
    def get(self, request, order_id):
        order = _party_order(request, order_id)
        return Response(OrderFileOutput(selectors.files_for(order, request.user.id), many=True).data)

    @extend_schema(summary="Upload a file to the order (buyer or seller)",
                   description="The multipart field `file`, at most MARKETPLACE_MAX_UPLOAD_MB; streamed, its type "
                               "read from the bytes. The seller delivers it with `deliver`'s `file_ids`; the "
                               "buyer's files (a brief) are shown to the seller at once.",
                   request={"multipart/form-data": {"type": "object", "properties": {
                       "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
                   responses={201: OrderFileOutput})
    @problem_answers(413, (409, "The order is completed or cancelled."))
    def post(self, request, order_id):
        order = _party_order(request, order_id)  # before a byte of the body is read
        order_file = services.upload_file(order=order, user_id=request.user.id, upload=receive_file(request))
        return Response(OrderFileOutput(order_file).data, status=status.HTTP_201_CREATED)


class OrderFileView(APIView):
    @extend_schema(summary="Download a file of the order: 302 to a link that works for 5 minutes",
                   responses={302: OpenApiResponse(description="Location: the file's short-lived link")})
    def get(self, request, order_id, file_id):
        order_file = selectors.file_for(_party_order(request, order_id), file_id, request.user.id)
        if order_file is None:
            raise NotFound("No such file.")
        return HttpResponseRedirect(request.build_absolute_uri(order_file.download_url()))


class ExtensionsView(APIView):
    @extend_schema(summary="Ask the buyer for more days to deliver (the seller; in progress; one pending at a time)",
                   request=ExtensionInput, responses={201: ExtensionOutput})
    @problem_answers((403, "Only the seller asks for more time."),
                     (409, "Not in progress, or a request is already waiting for the buyer."))
    def post(self, request, order_id):
        extension = extensions.request_extension(order_id=order_id, user_id=request.user.id,
                                                 **validated_input(ExtensionInput, request))
        return Response(ExtensionOutput(extension).data, status=status.HTTP_201_CREATED)


class AcceptExtensionView(APIView):
    @extend_schema(summary="Accept the seller's extension request: due_at moves by its days (the buyer)",
                   request=None, responses={200: OrderOutput})
    @problem_answers((403, "Only the buyer answers."), (409, "Already answered, or the order is not in progress."))
    def post(self, request, order_id, extension_id):
        return Response(_render(request, extensions.accept_extension(
            order_id=order_id, extension_id=extension_id, user_id=request.user.id)))


class DeclineExtensionView(APIView):
    @extend_schema(summary="Decline the seller's extension request (the buyer)", request=None,
                   responses={200: OrderOutput})
    @problem_answers((403, "Only the buyer answers."), (409, "Already answered, or the order is not in progress."))
    def post(self, request, order_id, extension_id):
        return Response(_render(request, extensions.decline_extension(
            order_id=order_id, extension_id=extension_id, user_id=request.user.id)))


class DisputeView(APIView):
    @extend_schema(summary="Dispute an order in progress or delivered (either party): it is frozen until staff "
                           "resolve it", request=DisputeInput, responses={201: DisputeOutput})
    @problem_answers((409, "The order is not in progress or delivered (completed, cancelled, unpaid), or is "
                           "already disputed."))
    def post(self, request, order_id):
        dispute = disputes.open_dispute(order_id=order_id, user_id=request.user.id,
                                        **validated_input(DisputeInput, request))
        return Response(DisputeOutput(dispute).data, status=status.HTTP_201_CREATED)


# --- custom offers ---------------------------------------------------------------------------------

OFFER_WRONG_STATE = (409, "The offer is no longer pending: accepted, declined, withdrawn or expired (an offer past "
                          "`expires_at` is expired even before the scheduler marks it).")


class OffersView(APIView):
    pagination_class = StandardPagination

    def get_permissions(self):
        return super().get_permissions() if self.request.method == "GET" else [HasRole.named("seller")()]

    @extend_schema(summary="The caller's custom offers, received (buyer) and made (seller), newest first",
                   parameters=[OfferListParams], responses={200: OfferOutput(many=True)})
    def get(self, request):
        params = OfferListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = selectors.offers_of(request.user.id, **params.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(OfferOutput(page, many=True).data)

    @extend_schema(summary="Make a custom offer to the other participant of a chat conversation (sellers)",
                   request=OfferInput, responses={201: OfferOutput},
                   description="The offer appears in the conversation as a message of kind `offer`. It is sold "
                               "under one of the seller's gigs on sale (`gig_id`, else the conversation's gig, else "
                               "the seller's most recently updated one). Accepting it places an order at its terms.",
                   examples=[OpenApiExample("A logo and cards", request_only=True, value={
                       "conversation_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                       "buyer_id": "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e", "title": "Logo and business cards",
                       "description": "Three concepts, then cards in the chosen one.", "price": "240.00",
                       "currency": "USD", "delivery_days": 6, "revisions": 2, "expires_in_days": 7})])
    @problem_answers((403, "Not a seller (`role_missing`), or the email address is not confirmed (`email_unverified`)."),
                     (404, "The caller takes no part in the conversation."),
                     (409, "`conversation_pending` (with `Retry-After`): the order service has not heard of the "
                           "conversation yet; one started in the last seconds takes offers shortly."))
    def post(self, request):
        require_verified_email(request.user)
        offer = offers.make_offer(seller_id=request.user.id, **validated_input(OfferInput, request))
        return Response(OfferOutput(offer).data, status=status.HTTP_201_CREATED)


class OfferView(APIView):
    @extend_schema(summary="One of the caller's custom offers", responses={200: OfferOutput})
    def get(self, request, offer_id):
        offer = selectors.offer_for_party(offer_id, request.user.id)
        if offer is None:
            raise NotFound("No such offer.")
        return Response(OfferOutput(offer).data)


class AcceptOfferView(APIView):
    @extend_schema(summary="Accept a custom offer: the order is placed at its terms (the buyer)", request=None,
                   responses={201: OrderOutput},
                   parameters=[OpenApiParameter(
                       IDEMPOTENCY_KEY, location=OpenApiParameter.HEADER, required=False,
                       description="Retry safely: the same key answers the first answer again (one order).")],
                   description="The new order is `pending_payment`, with the offer's price, days and revisions and "
                               "the usual service fee; pay its `total` through `POST /api/payments/checkout`.")
    @problem_answers((400, "A malformed Idempotency-Key."), (403, "Only the buyer accepts; `email_unverified`."),
                     OFFER_WRONG_STATE)
    @idempotent
    def post(self, request, offer_id):
        require_verified_email(request.user)
        _offer, order = offers.accept_offer(offer_id=offer_id, user_id=request.user.id)
        return Response(_render(request, order), status=status.HTTP_201_CREATED)


class DeclineOfferView(APIView):
    @extend_schema(summary="Decline a custom offer (the buyer)", request=None, responses={200: OfferOutput})
    @problem_answers((403, "Only the buyer declines."), OFFER_WRONG_STATE)
    def post(self, request, offer_id):
        return Response(OfferOutput(offers.decline_offer(offer_id=offer_id, user_id=request.user.id)).data)


class WithdrawOfferView(APIView):
    @extend_schema(summary="Withdraw a custom offer before the buyer answers (the seller)", request=None,
                   responses={200: OfferOutput})
    @problem_answers((403, "Only the seller withdraws."), OFFER_WRONG_STATE)
    def post(self, request, offer_id):
        return Response(OfferOutput(offers.withdraw_offer(offer_id=offer_id, user_id=request.user.id)).data)
