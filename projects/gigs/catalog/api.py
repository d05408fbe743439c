"""The gig HTTP API: parse, call a service, selector or the search, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.authentication import HasRole, require_verified_email
from marketplace_libs.errors import Forbidden, InvalidInput, NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import search, selectors, services
from .models import Gig, GigStatus
from .pagination import GigPage
from .serializers import (
    CategoryOutput, GigInput, GigOutput, GigSummaryOutput, ImageOutput, SavedGigOutput, SearchParams,
)


def _viewer_id(request):
    return request.user.id if request.user and request.user.is_authenticated else None


def _context(request, gigs) -> dict:
    """The serializers' context for ``gigs``: the request, and which of them the caller saved (None without
    a caller), read in one query for the whole page rather than per gig."""
    viewer = _viewer_id(request)
    favourite_ids = None if viewer is None else selectors.favourite_ids_among(viewer, [gig.pk for gig in gigs])
    return {"request": request, "favourite_ids": favourite_ids}


def _gig_query(request) -> search.GigQuery:
    params = SearchParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    values = dict(params.validated_data)
    category_ids = selectors.category_tree_ids(values.pop("category")) if "category" in values else ()
    seller_id = None
    if "seller" in values:
        seller_id = selectors.seller_filter_id(values.pop("seller"))
    return search.GigQuery(category_ids=category_ids, seller_id=seller_id, tags=tuple(values.pop("tags", ())),
                           **values)


GIG_EXAMPLE = OpenApiExample("A logo gig", request_only=True, value={
    "title": "I will design a minimalist logo for your brand",
    "description": "A clean, memorable logo in three concepts, delivered as SVG and PNG, with revisions.",
    "category": "logo-design", "tags": ["logo", "branding"], "status": "active",
    "packages": [
        {"tier": "basic", "title": "One concept", "price": "25.00", "currency": "USD", "delivery_days": 3,
         "revisions": 1},
        {"tier": "standard", "title": "Three concepts", "price": "60.00", "currency": "USD", "delivery_days": 5,
         "revisions": "unlimited"},
    ],
})


class CategoriesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="The category tree, flat (each with its parent's slug)",
                   responses={200: CategoryOutput(many=True)})
    def get(self, request):
        return Response(CategoryOutput(selectors.categories(), many=True).data)


class GigsView(APIView):
    pagination_class = GigPage
    parser_classes = [JSONParser]  # only images are files

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [HasRole.named("seller")()]

    @extend_schema(summary="Search the active gigs",
                   description="Full-text `q` and filters, combined; a page of gigs with the facets of the whole "
                               "result. Without a token, or for anyone but their seller, only active gigs.",
                   parameters=[SearchParams], responses={200: GigSummaryOutput(many=True)})
    def get(self, request):
        results, facets = search.search(_gig_query(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(results, request, view=self)
        rendered = GigSummaryOutput(page, many=True, context=_context(request, page)).data
        response = paginator.get_paginated_response(rendered)
        response.data["facets"] = facets().as_dict()
        return response

    @extend_schema(summary="Create a gig (sellers)", request=GigInput, responses={201: GigOutput},
                   examples=[GIG_EXAMPLE])
    @problem_answers((403, "Not a seller (`role_missing`), or publishing (`status: active`) before the email address "
                           "is confirmed (`email_unverified`); a draft is fine."))
    def post(self, request):
        values = validated_input(GigInput, request)
        if values.get("status") == GigStatus.ACTIVE:
            require_verified_email(request.user)
        category = values.pop("category")
        seller = services.ensure_seller(user_id=request.user.id, username=request.user.username)
        gig = services.create_gig(seller=seller, category=category, **values)
        return Response(_render(request, gig.pk, viewer_id=request.user.id), status=status.HTTP_201_CREATED)


def _render(request, gig_id, *, viewer_id) -> dict:
    gig = selectors.visible_gig(gig_id, viewer_id=viewer_id)
    return GigOutput(gig, context=_context(request, [gig])).data


def _own_gig(request, gig_id) -> Gig:
    """The caller's gig; someone else's visible gig is a 403, an invisible one a 404."""
    viewer = _viewer_id(request)
    gig = selectors.owned_gig(gig_id, seller_id=viewer)
    if gig is None:
        if selectors.visible_gig(gig_id, viewer_id=viewer) is not None:
            raise Forbidden("Only the gig's seller may change it.")
        raise NotFound("No such gig.")
    return gig


class GigDetailView(APIView):
    parser_classes = [JSONParser]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(summary="One gig", description="Active gigs to anyone; paused and draft ones to their seller only.",
                   responses={200: GigOutput})
    def get(self, request, gig_id):
        gig = selectors.visible_gig(gig_id, viewer_id=_viewer_id(request))
        if gig is None:
            raise NotFound("No such gig.")
        return Response(GigOutput(gig, context=_context(request, [gig])).data)

    @extend_schema(summary="Change a gig (its seller)",
                   description="Only the fields sent change; `packages`, when sent, replace all of them.",
                   request=GigInput, responses={200: GigOutput})
    @problem_answers((403, "Only the gig's seller may change it; publishing it (`status: active`) needs a confirmed "
                           "email address (`email_unverified`)."))
    def patch(self, request, gig_id):
        gig = _own_gig(request, gig_id)
        values = validated_input(GigInput, request, partial=True)
        if values.get("status") == GigStatus.ACTIVE and gig.status != GigStatus.ACTIVE:
            require_verified_email(request.user)
        services.update_gig(gig=gig, **values)
        return Response(_render(request, gig.pk, viewer_id=request.user.id))

    @extend_schema(summary="Delete a gig (its seller)",
                   responses={204: OpenApiResponse(description="Deleted; orders already placed are unaffected")})
    @problem_answers((403, "Only the gig's seller may delete it."))
    def delete(self, request, gig_id):
        services.delete_gig(gig=_own_gig(request, gig_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GigImagesView(APIView):
    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "image": {"type": "string", "format": "binary"}}, "required": ["image"]}}, responses={201: ImageOutput},
        summary="Add an image to a gig (its seller)",
        description="One JPEG, PNG, GIF or WebP file as the multipart field `image`; re-encoded, metadata dropped.")
    @problem_answers((403, "Only the gig's seller may change it."),
                     (409, "The gig has as many images as it may have."), 413)
    def post(self, request, gig_id):
        gig = _own_gig(request, gig_id)
        upload = request.FILES.get("image")
        if upload is None or set(request.data.keys()) - {"image"}:
            raise InvalidInput.on("image", "Send one image file as the multipart field 'image'.")
        image = services.add_image(gig=gig, upload=upload)
        return Response(ImageOutput(image, context={"request": request}).data, status=status.HTTP_201_CREATED)


class GigImageView(APIView):
    @extend_schema(summary="Remove an image of a gig (its seller)",
                   responses={204: OpenApiResponse(description="Removed")})
    @problem_answers((403, "Only the gig's seller may change it."))
    def delete(self, request, gig_id, image_id):
        services.delete_image(gig=_own_gig(request, gig_id), image_id=image_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FavouriteView(APIView):
    @extend_schema(summary="Save a gig to the caller's favourites", request=None,
                   responses={204: OpenApiResponse(description="Saved (or saved already: nothing changes)")})
    @problem_answers((404, "No such gig, or not one anyone may see (a draft, a deleted gig)."))
    def put(self, request, gig_id):
        services.save_favourite(user_id=request.user.id, gig_id=gig_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Remove a gig from the caller's favourites",
                   responses={204: OpenApiResponse(description="Removed (or not saved: nothing changes)")})
    @problem_answers((404, "No such gig (a gig the caller saved can always be removed)."))
    def delete(self, request, gig_id):
        services.remove_favourite(user_id=request.user.id, gig_id=gig_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FavouritesView(APIView):
    pagination_class = StandardPagination

    @extend_schema(summary="The gigs the caller saved, newest saved first",
                   description="Gigs the caller may still see (a deleted gig drops out of the list).",
                   responses={200: SavedGigOutput(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = selectors.saved_gigs(paginator.paginate_queryset(selectors.favourites_of(request.user.id), request,
                                                                view=self))
        rendered = SavedGigOutput(page, many=True, context=_context(request, page)).data
        return paginator.get_paginated_response(rendered)
