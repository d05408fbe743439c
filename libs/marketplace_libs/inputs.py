"""Request bodies: parsed by a serializer that refuses what it does not know."""

from __future__ import annotations

from rest_framework import serializers


class InputSerializer(serializers.Serializer):
    """An input shape. A field it does not declare is a 400 naming that field, not silently ignored:
    a client that misspells ``display_name`` must learn that nothing was saved."""

    def to_internal_value(self, data):
        # Here rather than in validate(): nested input shapes (a list of packages) get the check too.
        # Reported together with the declared fields' errors, so that one answer names every bad field.
        unknown = sorted(set(data.keys()) - set(self.fields)) if hasattr(data, "keys") else []
        errors = {name: ["This field is not accepted here."] for name in unknown}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            if isinstance(invalid.detail, dict):
                errors = {**invalid.detail, **errors}
            elif not errors:
                raise
        if errors:
            raise serializers.ValidationError(errors)
        return values


def validated_input(serializer_class, request, *, partial: bool = False) -> dict:
    """The validated body of ``request``, or a 400 problem naming every bad field."""
    if not hasattr(request.data, "keys"):
        raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
