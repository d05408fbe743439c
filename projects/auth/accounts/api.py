"""The auth HTTP API: parse, call a service or selector, render."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotAuthenticated
from marketplace_libs.inputs import validated_input
from marketplace_libs.middleware import client_address

from . import selectors, services
from .keys import load_key_ring
from .serializers import (
    LoginInput, MeOutput, PasswordChangeInput, PasswordResetConfirmInput, PasswordResetInput,
    RefreshInput, RegisterInput, TokenPairOutput, UserOutput,
)


class PublicView(APIView):
    """No token needed, and a stale one sent along by habit is ignored rather than refused."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    @extend_schema(request=RegisterInput, responses={201: UserOutput})
    def post(self, request):
        user = services.register_user(**validated_input(RegisterInput, request))
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    @extend_schema(request=LoginInput, responses={200: TokenPairOutput})
    def post(self, request):
        pair = services.log_in(**validated_input(LoginInput, request), client_address=client_address(request))
        return Response(pair.as_response())


class RefreshView(PublicView):
    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput})
    def post(self, request):
        pair = services.rotate_refresh_token(raw_refresh=validated_input(RefreshInput, request)["refresh"])
        return Response(pair.as_response())


class LogoutView(APIView):
    @extend_schema(request=RefreshInput, responses={204: OpenApiResponse(description="Both tokens revoked")})
    def post(self, request):
        services.log_out(access=request.auth, raw_refresh=validated_input(RefreshInput, request)["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: MeOutput})
    def get(self, request):
        user = selectors.active_user_by_id(request.user.id)
        if user is None:
            raise NotAuthenticated("This account is no longer active.")
        return Response(MeOutput(user).data)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeInput, responses={204: None})
    def post(self, request):
        services.change_password(access=request.auth, **validated_input(PasswordChangeInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicView):
    @extend_schema(request=PasswordResetInput, responses={202: None})
    def post(self, request):
        services.request_password_reset(**validated_input(PasswordResetInput, request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    @extend_schema(request=PasswordResetConfirmInput, responses={204: None})
    def post(self, request):
        services.confirm_password_reset(**validated_input(PasswordResetConfirmInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(exclude=True)
def jwks(request):
    response = JsonResponse(load_key_ring().jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
