"""The auth HTTP API: parse, call a service or selector, render."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotAuthenticated
from marketplace_libs.inputs import validated_input
from marketplace_libs.middleware import client_address
from marketplace_libs.openapi import problem_answers

from . import selectors, services
from .keys import load_key_ring
from .serializers import (
    EmailVerifyInput, LoginInput, MeOutput, PasswordChangeInput, PasswordResetConfirmInput, PasswordResetInput,
    RefreshInput, RegisterInput, TokenPairOutput, UserOutput,
)


class PublicView(APIView):
    """No token needed, and a stale one sent along by habit is ignored rather than refused."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    @extend_schema(summary="Register an account", request=RegisterInput, responses={201: UserOutput},
                   description="Then log in. The other services learn of the account by an event within a second.",
                   examples=[OpenApiExample("A new buyer", request_only=True, value={
                       "email": "ada@example.com", "username": "ada", "password": "a long passphrase 2026"})])
    def post(self, request):
        user = services.register_user(**validated_input(RegisterInput, request))
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    @extend_schema(summary="Log in: an access and a refresh token", request=LoginInput,
                   responses={200: TokenPairOutput},
                   examples=[OpenApiExample("Credentials", request_only=True, value={
                       "email": "ada@example.com", "password": "a long passphrase 2026"})])
    @problem_answers((401, "The email or password is wrong."),
                     (429, "Too many failed logins for this account or address: wait `Retry-After` seconds."))
    def post(self, request):
        pair = services.log_in(**validated_input(LoginInput, request), client_address=client_address(request))
        return Response(pair.as_response())


class RefreshView(PublicView):
    @extend_schema(summary="A new token pair for a refresh token (which is then used up)",
                   description="Also how a token learns a role granted since it was issued (becoming a seller). "
                               "Reusing a refresh token revokes its whole family: log in again.",
                   request=RefreshInput, responses={200: TokenPairOutput})
    @problem_answers((401, "The refresh token is invalid, expired, used or revoked: log in again."))
    def post(self, request):
        pair = services.rotate_refresh_token(raw_refresh=validated_input(RefreshInput, request)["refresh"])
        return Response(pair.as_response())


class LogoutView(APIView):
    @extend_schema(summary="Log out: revoke the access token and the refresh token",
                   request=RefreshInput, responses={204: OpenApiResponse(description="Both tokens revoked")})
    def post(self, request):
        services.log_out(access=request.auth, raw_refresh=validated_input(RefreshInput, request)["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(summary="The caller's account and roles", responses={200: MeOutput})
    def get(self, request):
        user = selectors.active_user_by_id(request.user.id)
        if user is None:
            raise NotAuthenticated("This account is no longer active.")
        return Response(MeOutput(user).data)


class PasswordChangeView(APIView):
    @extend_schema(summary="Change the password; every other session is logged out",
                   request=PasswordChangeInput, responses={204: OpenApiResponse(description="Changed")})
    def post(self, request):
        services.change_password(access=request.auth, **validated_input(PasswordChangeInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicView):
    @extend_schema(summary="Email a password reset link (the same answer whether the account exists or not)",
                   request=PasswordResetInput, responses={202: OpenApiResponse(description="Accepted")})
    def post(self, request):
        services.request_password_reset(**validated_input(PasswordResetInput, request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    @extend_schema(summary="Set a new password with the token of a reset link",
                   request=PasswordResetConfirmInput, responses={204: OpenApiResponse(description="Changed")})
    def post(self, request):
        services.confirm_password_reset(**validated_input(PasswordResetConfirmInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(PublicView):
    @extend_schema(summary="Confirm the account's email address with the token of the emailed link",
                   description="The link is `{MARKETPLACE_PUBLIC_URL}/verify-email?token=…`; the page behind it posts "
                               "the token here. It works once, for 48 hours. Tokens issued before carry "
                               "`email_verified: false`: refresh (`POST /api/auth/refresh`) for one that says true.",
                   request=EmailVerifyInput, responses={204: OpenApiResponse(description="Verified")},
                   examples=[OpenApiExample("The token of the link", request_only=True,
                                            value={"token": "q3Xv0bT9Jk2mWc8rLs5NpYd7Ge1Hf4Ua6Zi0Oe3Rt2w"})])
    @problem_answers((400, "The token is unknown, expired, already used, or for an address the account no longer has."))
    def post(self, request):
        services.verify_email(**validated_input(EmailVerifyInput, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailResendView(APIView):
    @extend_schema(summary="Email the verification link again", request=None,
                   responses={202: OpenApiResponse(description="A new link is on its way")})
    @problem_answers((409, "`email_already_verified`: nothing to confirm."),
                     (429, "One verification email a minute (the one sent at registration counts): wait "
                           "`Retry-After` seconds."))
    def post(self, request):
        services.resend_email_verification(user_id=request.user.id)
        return Response(status=status.HTTP_202_ACCEPTED)


@extend_schema(exclude=True)
def jwks(request):
    response = JsonResponse(load_key_ring().jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
