from rest_framework import serializers

from marketplace_libs.outputs import OutputSerializer


class NotificationOutput(OutputSerializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    data = serializers.DictField(help_text="Depends on `kind` (docs/notifications.md); always `link`, the web "
                                           "client's page, and `resource`, the API path about it.")
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ListParams(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text="`true`: only the unread ones.")
