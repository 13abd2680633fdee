"""The compiled datetime output (orjson's C writer where it writes what ``isoformat`` does)
is DRF's ``DateTimeField`` output for every zone, instant and corner."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import compiled
from core.api.renderers import FastJSONRenderer

EVERY_ZONE = sorted(zoneinfo.available_timezones())


def _both(value: Any) -> tuple[Any, Any]:
    """Our text and DRF's; the native value (left for orjson) is checked to be written as
    our text along the way."""
    field = serializers.DateTimeField()
    emit = compiled.datetime_iso(field)
    native = compiled.datetime_iso(field, native=True)
    assert emit is not None
    assert native is not None
    text = emit(value)
    renderer = FastJSONRenderer()
    assert renderer.render_native({"v": native(value)}) == renderer.render({"v": text})
    return text, field.to_representation(value)


def test_every_zone_and_instant_since_1973_reads_as_drf_writes_it() -> None:
    rng = random.Random(20261204)
    low = dt.datetime(1973, 1, 1, tzinfo=dt.UTC).timestamp()
    high = dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp()
    compared = 0
    for name in EVERY_ZONE:
        with timezone.override(name):
            for turn in range(40):
                value = dt.datetime.fromtimestamp(rng.uniform(low, high), dt.UTC)
                if turn % 4 == 0:
                    value = value.replace(microsecond=0)  # no fraction written at all
                if turn % 4 == 1:
                    value = value.astimezone(zoneinfo.ZoneInfo(rng.choice(EVERY_ZONE)))
                ours, drf = _both(value)
                assert ours == drf, (name, value)
                compared += 1
    assert compared == 40 * len(EVERY_ZONE) > 10_000


@pytest.mark.parametrize(
    ("zone", "value", "expected"),
    [
        # Offsets with seconds (local mean time): written in full, as isoformat does.
        (
            "America/Sao_Paulo",
            dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
            "1899-12-31T20:53:32-03:06:28",
        ),
        (
            "Africa/Monrovia",
            dt.datetime(1970, 6, 1, 12, tzinfo=dt.UTC),
            "1970-06-01T11:15:30-00:44:30",
        ),
        # A display zone of fixed seconds, a UTC display zone, a zero offset that is not UTC.
        (
            dt.timezone(dt.timedelta(seconds=-30)),
            dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "2024-12-31T23:59:30-00:00:30",
        ),
        ("UTC", dt.datetime(2025, 1, 1, 8, 0, 0, 5, tzinfo=dt.UTC), "2025-01-01T08:00:00.000005Z"),
        ("Europe/London", dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC), "2025-01-01T08:00:00Z"),
        ("Asia/Kolkata", dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC), "2025-01-01T13:30:00+05:30"),
        # The far end of the calendar: DRF's own failure, not ours.
        ("America/Sao_Paulo", dt.datetime(1, 1, 1, 1, tzinfo=dt.UTC), None),
    ],
)
def test_corners_read_as_drf_writes_them(zone: Any, value: dt.datetime, expected: Any) -> None:
    with timezone.override(zone):
        if expected is None:
            emit = compiled.datetime_iso(serializers.DateTimeField())
            assert emit is not None
            with pytest.raises(ValidationError) as error:
                emit(value)
            assert error.value.get_codes() == ["overflow"]
            return
        ours, drf = _both(value)
    assert ours == drf == expected


def test_values_that_are_not_aware_datetimes_get_drfs_answer() -> None:
    class Subclass(dt.datetime):
        pass

    with timezone.override("America/Sao_Paulo"):
        for value in (
            "2025-01-01T00:00:00",
            dt.datetime(2025, 1, 1, 12),  # naive
            Subclass(2025, 1, 1, 12, tzinfo=dt.UTC),
        ):
            ours, drf = _both(value)
            assert ours == drf
