"""OutputSerializer renders exactly what DRF's Serializer renders, each instance with its own bound fields."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from marketplace_libs.outputs import OutputSerializer


def shapes(base):
    """The same response shape on ``base``: plain fields, a method field reading the context, a list
    field, a nested serializer and a nested list of serializers that read the context too."""

    class Line(base):
        name = serializers.CharField()
        mine = serializers.SerializerMethodField()

        def get_mine(self, line) -> bool:
            return line.owner == self.context["viewer"]

    class Order(base):
        id = serializers.UUIDField()
        total = serializers.DecimalField(max_digits=10, decimal_places=2)
        placed_at = serializers.DateTimeField()
        label = serializers.CharField(source="title")
        tags = serializers.ListField(child=serializers.CharField())
        first = Line(source="first_line")
        lines = Line(many=True)
        viewer = serializers.SerializerMethodField()

        def get_viewer(self, order) -> str:
            return self.context["viewer"]

    return Order


def an_order(number: int):
    lines = [SimpleNamespace(name=f"line {number}.{i}", owner=f"user{i}") for i in range(3)]
    return SimpleNamespace(id="7b2f3c4d-8e9a-4b1c-9d2e-3f4a5b6c7d8e", total=Decimal(number), title=f"order {number}",
                           placed_at=datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc), tags=["a", str(number)],
                           lines=lines, first_line=lines[0])


def test_it_renders_what_drf_renders():
    drf, ours = shapes(serializers.Serializer), shapes(OutputSerializer)
    for viewer in ("user0", "user2"):
        expected = drf(an_order(7), context={"viewer": viewer}).data
        assert ours(an_order(7), context={"viewer": viewer}).data == expected
        assert expected["lines"][int(viewer[-1])]["mine"] and expected["viewer"] == viewer
        assert ours([an_order(1), an_order(2)], many=True, context={"viewer": viewer}).data == drf(
            [an_order(1), an_order(2)], many=True, context={"viewer": viewer}).data


def test_each_instance_binds_its_own_fields_and_the_class_keeps_its_own_unbound():
    Order = shapes(OutputSerializer)
    one, two = Order(an_order(1), context={"viewer": "user0"}), Order(an_order(2), context={"viewer": "user1"})
    assert one.data != two.data
    for name in ("total", "label", "viewer", "tags", "first", "lines"):
        assert one.fields[name] is not two.fields[name]
        assert one.fields[name].parent is one and two.fields[name].parent is two
        assert Order._declared_fields[name].parent is None and Order._declared_fields[name].field_name is None
    assert one.fields["tags"].child is not two.fields["tags"].child
    assert one.fields["lines"].child is not two.fields["lines"].child


def test_renderings_in_threads_at_once_each_read_their_own_context():
    Order = shapes(OutputSerializer)

    def render(number: int) -> tuple[int, dict]:
        return number, Order(an_order(number), context={"viewer": f"user{number % 3}"}).data

    with ThreadPoolExecutor(max_workers=8) as pool:
        for number, data in pool.map(render, range(400)):
            assert data["viewer"] == f"user{number % 3}" and data["label"] == f"order {number}"
            assert [line["mine"] for line in data["lines"]] == [i == number % 3 for i in range(3)]


def test_it_refuses_to_validate_input():
    with pytest.raises(TypeError, match="renders responses"):
        shapes(OutputSerializer)(data={"id": "x"}).is_valid()
