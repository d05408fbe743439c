"""Views that raise each kind of error the problem+json handlers must render."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions as drf_exceptions
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.authentication import HasRole, require_verified_email
from marketplace_libs.errors import Conflict, NotFound, NotYet, RateLimited
from marketplace_libs.inputs import InputSerializer, validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination
from marketplace_libs.events.publishing import publish
from marketplace_libs.idempotency import idempotent


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class NestedValidationError(PublicView):
    def get(self, request):
        raise drf_exceptions.ValidationError({
            "title": ["This field is required."],
            "price": {"amount": ["Must be positive."], "currency": ["Unknown currency."]},
            "items": [{}, {"quantity": ["Must be at least 1."]}],
            "non_field_errors": ["Title and price disagree."],
        })


class ItemInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1)


class EchoView(PublicView):
    """Parses a JSON body through a serializer: malformed JSON, wrong types, too large a body."""

    def post(self, request):
        serializer = ItemInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class StrictItemInput(InputSerializer):
    name = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1)


class ItemsView(APIView):
    """A page of items, and a strict input shape; declares a 409 the schema must show."""

    pagination_class = StandardPagination

    @extend_schema(responses={200: ItemInput(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset([{"name": "tea", "quantity": 1}], request, view=self)
        return paginator.get_paginated_response(ItemInput(page, many=True).data)

    @extend_schema(request=StrictItemInput, responses={201: ItemInput})
    @problem_answers((409, "Sold out."))
    def post(self, request):
        return Response(validated_input(StrictItemInput, request), status=201)


class NotYetView(PublicView):
    def get(self, request):
        raise NotYet("The order's completion has not arrived yet.", code="completion_pending", retry_after=2)


class ConflictView(PublicView):
    def get(self, request):
        raise Conflict("This order was already accepted.")


class RateLimitedView(PublicView):
    def get(self, request):
        raise RateLimited(42, "Slow down.")


class ThrottledView(PublicView):
    def get(self, request):
        raise drf_exceptions.Throttled(wait=12.2)


class NotFoundView(PublicView):
    def get(self, request):
        raise NotFound("No such gig.")


class WhoAmIView(APIView):
    """Needs a valid access token (the default permission is IsAuthenticated)."""

    def get(self, request):
        return Response({"user_id": request.user.id, "username": request.user.username,
                         "roles": list(request.user.roles)})


class SellerOnlyView(APIView):
    permission_classes = [HasRole.named("seller")]

    def get(self, request):
        return Response({"ok": True})


class VerifiedOnlyView(APIView):
    """Reading is open to any signed-in caller; writing needs a confirmed email address."""

    def get(self, request):
        return Response({"email_verified": request.user.email_verified})

    def post(self, request):
        require_verified_email(request.user)
        return Response({"ok": True})


class BrokenView(PublicView):
    def get(self, request):
        raise RuntimeError("a bug in a view")


def broken_plain_view(request):
    """A plain Django view (outside DRF) that fails."""
    raise RuntimeError("a bug outside DRF")


class RegisterSomeoneView(PublicView):
    """Publishes an event in the transaction of its change, as a service's write does."""

    def post(self, request):
        with transaction.atomic():
            event = publish("user.registered", {
                "user_id": str(uuid.uuid4()), "email": "someone@example.com", "username": "someone",
                "date_joined": timezone.now().isoformat().replace("+00:00", "Z"),
            })
        return Response({"pk": event.pk, "id": event.envelope()["id"]}, status=201)


class CarelessView(PublicView):
    """Logs everything it was sent, as a careless debugging line would: the redaction must hold."""

    def post(self, request):
        import structlog

        raw = request.body.decode()
        structlog.get_logger("tests.careless").info(
            "careless_debug", data=dict(request.data), headers=dict(request.headers),
            full_path=request.get_full_path(), cookies=dict(request.COOKIES))
        structlog.get_logger("tests.careless").warning(f"received {raw} with {request.headers.get('Authorization')} "
                                                       f"signed {request.headers.get('X-Payment-Signature')}")
        return Response({"ok": True})


class IdempotentRegisterView(APIView):
    """A write that others hear of (an outbox row), behind ``Idempotency-Key``: how many times it ran shows
    in the outbox. ``{"refuse": true}`` answers 409 after nothing was written; ``pause`` (seconds) holds the
    transaction open, for the race between two requests with one key."""

    @idempotent
    def post(self, request):
        import time

        if request.data.get("refuse"):
            raise Conflict("Refused as asked.")
        event = publish("user.registered", {
            "user_id": str(uuid.uuid4()), "email": "someone@example.com", "username": "someone",
            "date_joined": timezone.now().isoformat().replace("+00:00", "Z"),
        })
        time.sleep(float(request.data.get("pause", 0)))
        return Response({"event_id": event.envelope()["id"], "amount": Decimal("12.50")}, status=201)


class UploadView(PublicView):
    """Stores one streamed file in the ``files`` storage and answers what was recorded, with a link."""

    from rest_framework.parsers import MultiPartParser

    parser_classes = [MultiPartParser]

    def post(self, request):
        from marketplace_libs.files.storage import file_storage
        from marketplace_libs.files.uploads import receive_file, store_upload

        stored = store_upload(receive_file(request), storage=file_storage, folder="uploads")
        return Response({"key": stored.key, "name": stored.name, "size": stored.size,
                         "content_type": stored.content_type, "sha256": stored.sha256,
                         "url": file_storage.signed_url(stored.key, filename=stored.name,
                                                        content_type=stored.content_type)}, status=201)
