"""The user HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input

from . import selectors, services
from .serializers import (
    PreferencesInput, PreferencesOutput, ProfileInput, ProfileOutput, PublicProfileOutput, SellerInput,
    SellerOutput,
)


def _own_profile(request):
    return services.ensure_profile(user_id=request.user.id, username=request.user.username)


class MeView(APIView):
    @extend_schema(responses={200: ProfileOutput})
    def get(self, request):
        return Response(ProfileOutput(_own_profile(request), context={"request": request}).data)

    @extend_schema(request=ProfileInput, responses={200: ProfileOutput})
    def patch(self, request):
        changes = validated_input(ProfileInput, request, partial=True)
        profile = services.update_profile(profile=_own_profile(request), **changes)
        return Response(ProfileOutput(profile, context={"request": request}).data)


class SellerView(APIView):
    @extend_schema(request=SellerInput, responses={201: SellerOutput, 200: SellerOutput})
    def post(self, request):
        seller, created = services.become_seller(profile=_own_profile(request), **validated_input(SellerInput, request))
        return Response(SellerOutput(seller).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=SellerInput, responses={200: SellerOutput})
    def patch(self, request):
        changes = validated_input(SellerInput, request, partial=True)
        return Response(SellerOutput(services.update_seller(profile=_own_profile(request), **changes)).data)


class PreferencesView(APIView):
    @extend_schema(responses={200: PreferencesOutput})
    def get(self, request):
        return Response(PreferencesOutput(_own_profile(request).preferences).data)

    @extend_schema(request=PreferencesInput, responses={200: PreferencesOutput})
    def patch(self, request):
        changes = validated_input(PreferencesInput, request, partial=True)
        return Response(PreferencesOutput(services.update_preferences(profile=_own_profile(request), **changes)).data)


class PublicProfileView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: PublicProfileOutput})
    def get(self, request, username: str):
        profile = selectors.public_profile(username)
        if profile is None:
            raise NotFound("No such user.")
        return Response(PublicProfileOutput(profile, context={"request": request}).data)
