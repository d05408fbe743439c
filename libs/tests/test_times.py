from datetime import datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from marketplace_libs.times import iso_utc


def test_a_time_is_written_in_utc_with_z_as_drf_renders_it():
    moment = datetime(2026, 4, 11, 18, 20, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert iso_utc(moment) == "2026-04-11T16:20:00.123456Z"
    assert iso_utc(moment) == serializers.DateTimeField().to_representation(moment.astimezone(timezone.utc))


def test_whole_seconds_have_no_fraction():
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05Z"


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 2, 3, 4, 5))
