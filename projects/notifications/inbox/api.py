"""The notification HTTP API: the caller's inbox."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .serializers import ListParams, NotificationOutput


class NotificationsView(APIView):
    pagination_class = StandardPagination

    @extend_schema(summary="The caller's notifications, newest first",
                   description="`data` depends on `kind`: docs/notifications.md lists the keys of each.",
                   parameters=[ListParams], responses={200: NotificationOutput(many=True)})
    def get(self, request):
        params = ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        notifications = selectors.inbox(request.user.id, unread_only=bool(params.validated_data["unread"]))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class UnreadCountView(APIView):
    @extend_schema(summary="How many notifications are unread",
                   responses={200: inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})})
    def get(self, request):
        return Response({"unread": selectors.unread_count(request.user.id)})


class ReadView(APIView):
    @extend_schema(summary="Mark a notification read", request=None,
                   responses={204: OpenApiResponse(description="Read")})
    def post(self, request, notification_id):
        services.mark_read(user_id=request.user.id, notification_id=notification_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadAllView(APIView):
    @extend_schema(summary="Mark every notification read", request=None,
                   responses={204: OpenApiResponse(description="All read")})
    def post(self, request):
        services.mark_all_read(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)
