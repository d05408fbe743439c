"""Response bodies: rendered by a serializer that only ever renders."""

from __future__ import annotations

import copy

from rest_framework import serializers


def _has_children(field: serializers.Field) -> bool:
    return (isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")
            or hasattr(field, "child_relation"))


class OutputSerializer(serializers.Serializer):
    """A response shape: it renders instances (``XOutput(instance).data``) and never validates input.

    DRF's ``Serializer.get_fields`` deep-copies the class's declared fields for every serializer made,
    which re-runs each field's ``__init__``: a third of rendering one order (docs/performance.md,
    decision 86). A field without children is bound here on a shallow copy instead: ``Field.bind``
    only sets attributes of the copy, and rendering reads nothing of the field that binding changes
    on a shared object. Nested serializers and fields with children (``ListField``, ``DictField``,
    many related fields) are still deep-copied, so that binding their children never touches the
    class's own.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.deepcopy(field) if _has_children(field) else copy.copy(field)
                for name, field in self._declared_fields.items()}

    def is_valid(self, *, raise_exception=False):
        raise TypeError(f"{type(self).__name__} renders responses; validate input with an input serializer")
