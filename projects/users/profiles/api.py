"""The user HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers

from . import selectors, services
from .serializers import (
    PreferencesInput, PreferencesOutput, ProfileInput, ProfileOutput, PublicProfileOutput, SellerInput,
    SellerOutput,
)


DEACTIVATED = (403, "This account is deactivated.")
# The avatar is the one file: sent as multipart, with any of the other fields of the profile beside it.
AVATAR_UPLOAD = {"type": "object", "properties": {"avatar": {"type": "string", "format": "binary"}},
                 "description": "The avatar image (JPEG, PNG, GIF or WebP), and any other field of the profile."}


def _own_profile(request):
    return services.ensure_profile(user_id=request.user.id, username=request.user.username)


class MeView(APIView):
    @extend_schema(summary="The caller's profile and preferences", responses={200: ProfileOutput})
    @problem_answers(DEACTIVATED)
    def get(self, request):
        return Response(ProfileOutput(_own_profile(request), context={"request": request}).data)

    @extend_schema(summary="Change the caller's profile (only the fields sent)",
                   description="JSON; `avatar` is the one field sent as multipart (or null to remove it).",
                   request={"application/json": ProfileInput, "multipart/form-data": AVATAR_UPLOAD},
                   responses={200: ProfileOutput})
    @problem_answers(DEACTIVATED)
    def patch(self, request):
        changes = validated_input(ProfileInput, request, partial=True)
        profile = services.update_profile(profile=_own_profile(request), **changes)
        return Response(ProfileOutput(profile, context={"request": request}).data)


class SellerView(APIView):
    parser_classes = [JSONParser]  # only the profile's PATCH takes a file (the avatar)

    @extend_schema(summary="Become a seller", request=SellerInput,
                   description="201 the first time, 200 when already a seller. The `seller` role reaches the auth "
                               "service by an event, usually within 2 s: refresh the access token until its `roles` "
                               "have it, then create gigs. A token without it gets 403 `role_missing` there.",
                   responses={201: SellerOutput, 200: SellerOutput},
                   examples=[OpenApiExample("A seller profile", request_only=True, value={
                       "headline": "Logo designer, ten years of brands",
                       "description": "I design clean, memorable logos for small businesses and start-ups."})])
    @problem_answers(DEACTIVATED)
    def post(self, request):
        seller, created = services.become_seller(profile=_own_profile(request), **validated_input(SellerInput, request))
        return Response(SellerOutput(seller).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="Change the caller's seller profile", request=SellerInput, responses={200: SellerOutput})
    @problem_answers(DEACTIVATED, (404, "No seller profile yet: POST me/seller opens one."))
    def patch(self, request):
        changes = validated_input(SellerInput, request, partial=True)
        return Response(SellerOutput(services.update_seller(profile=_own_profile(request), **changes)).data)


class PreferencesView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="The caller's notification and display preferences", responses={200: PreferencesOutput})
    @problem_answers(DEACTIVATED)
    def get(self, request):
        return Response(PreferencesOutput(_own_profile(request).preferences).data)

    @extend_schema(summary="Change preferences (only the fields sent)", request=PreferencesInput,
                   responses={200: PreferencesOutput})
    @problem_answers(DEACTIVATED)
    def patch(self, request):
        changes = validated_input(PreferencesInput, request, partial=True)
        return Response(PreferencesOutput(services.update_preferences(profile=_own_profile(request), **changes)).data)


class PublicProfileView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Anyone's public profile, by username", responses={200: PublicProfileOutput})
    def get(self, request, username: str):
        profile = selectors.public_profile(username)
        if profile is None:
            raise NotFound("No such user.")
        return Response(PublicProfileOutput(profile, context={"request": request}).data)
