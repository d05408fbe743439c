import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, Value
from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .models import Favourite, Gig, ListedPackage, Order, OutboxRow, User
from .serializers import GigSerializer, GigSummarySerializer, MeSerializer, OrderSerializer, PlaceOrderSerializer

PRICE_BANDS = [(0, 25), (25, 50), (50, 100), (100, 250), (250, 500), (500, None)]
ORDERINGS = {"relevance": ["-rank", "-created_at", "id"], "price": ["price_from", "id"],
             "-price": ["-price_from", "id"], "-created_at": ["-created_at", "id"]}
CENT = Decimal("0.01")


def _gigs():
    return Gig.objects.select_related("seller", "category").prefetch_related("tags", "packages", "images")


def _with_is_favourite(gigs, user):
    if user is None:  # UNAUTHENTICATED_USER = None: no caller, no favourites
        return gigs.annotate(is_favourite=Value(None, output_field=BooleanField()))
    return gigs.annotate(is_favourite=Exists(Favourite.objects.filter(user_id=user.id, gig=OuterRef("pk"))))


class GigList(generics.ListAPIView):
    serializer_class = GigSummarySerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        gigs = Gig.objects.filter(status="active", deleted_at__isnull=True)
        if params.get("category"):
            slug = params["category"]
            gigs = gigs.filter(Q(category__slug=slug) | Q(category__parent__slug=slug)
                               | Q(category__parent__parent__slug=slug))
        if params.get("min_price"):
            gigs = gigs.filter(price_from__gte=Decimal(params["min_price"]))
        if params.get("max_price"):
            gigs = gigs.filter(price_from__lte=Decimal(params["max_price"]))
        ordering = params.get("ordering", "-created_at")
        if params.get("q"):
            # The service's matching: whole words, the last one also as the beginning of a word as typed.
            *complete, last = params["q"].split()
            query = (SearchQuery(last, search_type="raw", config="english")
                     | SearchQuery(f"{last}:*", search_type="raw", config="english_unstemmed"))
            if complete:
                query = SearchQuery(" & ".join(complete), search_type="raw", config="english") & query
            gigs = gigs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        elif ordering == "relevance":
            ordering = "-created_at"
        self.matching = gigs
        return _with_is_favourite(gigs, self.request.user).order_by(*ORDERINGS[ordering]).select_related(
            "seller", "category").prefetch_related("tags", "packages", "images")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        bands = {f"band{i}": Count("pk", filter=Q(price_from__gte=low, **({"price_from__lt": high} if high else {})))
                 for i, (low, high) in enumerate(PRICE_BANDS)}
        counted = self.matching.order_by().aggregate(**bands)
        categories = self.matching.order_by().values("category__slug", "category__name").annotate(count=Count("pk"))
        response.data["facets"] = {
            "categories": sorted(({"slug": c["category__slug"], "name": c["category__name"], "count": c["count"]}
                                  for c in categories), key=lambda c: (-c["count"], c["slug"])),
            "price_bands": [{"min": f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
                             "count": counted[f"band{i}"]} for i, (low, high) in enumerate(PRICE_BANDS)],
        }
        return response


class GigDetail(generics.RetrieveAPIView):
    serializer_class = GigSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        gigs = _gigs().filter(status__in=["active", "paused"], deleted_at__isnull=True)
        return _with_is_favourite(gigs, self.request.user)


class Me(generics.RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return get_object_or_404(User, pk=self.request.user.id, is_active=True)


class Orders(generics.ListCreateAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self):
        orders = Order.objects.all()
        role = self.request.query_params.get("role")
        if role == "buyer":
            orders = orders.filter(buyer_id=self.request.user.id)
        elif role == "seller":
            orders = orders.filter(seller_id=self.request.user.id)
        else:
            orders = orders.filter(Q(buyer_id=self.request.user.id) | Q(seller_id=self.request.user.id))
        return orders.order_by("-created_at", "id")

    def create(self, request, *args, **kwargs):
        placing = PlaceOrderSerializer(data=request.data)
        placing.is_valid(raise_exception=True)
        values = placing.validated_data
        offer = ListedPackage.objects.select_related("listing").filter(
            listing_id=values["gig_id"], tier=values["package"], listing__status="active",
            listing__deleted=False).first()
        if offer is None:
            raise serializers.ValidationError({"gig_id": "No such gig or package."})
        price = offer.price
        fee = (price * Decimal("5.5") / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        with transaction.atomic(using="orders"):
            order = Order.objects.create(
                id=uuid.uuid4(), gig_id=offer.listing_id, package=offer.tier, title=offer.listing.title,
                package_title=offer.title, price=price, service_fee=fee, total=price + fee,
                seller_earnings=price - (price * 20 / 100).quantize(CENT, rounding=ROUND_HALF_UP),
                currency=offer.currency, buyer_id=request.user.id, seller_id=offer.listing.seller_id,
                requirements=values["requirements"], delivery_days=offer.delivery_days,
                revisions_allowed=offer.revisions)
            data = self.get_serializer(order).data
            OutboxRow.objects.create(id=uuid.uuid4(), type="order.placed", payload=data)
        return Response(data, status=status.HTTP_201_CREATED)
