"""Request bodies: parsed by a serializer that refuses what it does not know."""

from __future__ import annotations

from rest_framework import serializers


class InputSerializer(serializers.Serializer):
    """An input shape. A field it does not declare is a 400 naming that field, not silently ignored:
    a client that misspells ``display_name`` must learn that nothing was saved."""

    def to_internal_value(self, data):
        # Here rather than in validate(): nested input shapes (a list of packages) get the check too.
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["This field is not accepted here."] for name in unknown})
        return super().to_internal_value(data)


def validated_input(serializer_class, request, *, partial: bool = False) -> dict:
    """The validated body of ``request``, or a 400 problem naming every bad field."""
    if not hasattr(request.data, "keys"):
        raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
