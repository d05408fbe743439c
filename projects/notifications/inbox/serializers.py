from rest_framework import serializers


class NotificationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    data = serializers.DictField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ListParams(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
