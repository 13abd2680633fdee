"""The C-parsed ``timestamptz`` loader (core.pg_adapters): Django's values, Django's semantics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader  # type: ignore[import-untyped]

from core.pg_adapters import timestamptz_loader_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Around the epoch, DST changes of São Paulo, microseconds, BC-free extremes, offsets.
LITERALS = [
    "1970-01-01 00:00:00+00",
    "2018-11-04 02:30:00-02",
    "2019-02-16 23:59:59.999999-02",
    "2024-05-06 12:34:56.123456+00",
    "2024-05-06 12:34:56.000001+05:45",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def _select(literals: list[str]) -> list[Any]:
    with connection.cursor() as cursor:
        sql = " UNION ALL ".join(["SELECT %s::timestamptz"] * len(literals))
        cursor.execute(sql, literals)
        return [row[0] for row in cursor.fetchall()]


def test_the_connection_parses_timestamps_with_the_c_loader() -> None:
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader.__module__ == "core.pg_adapters"
    # Django's create_cursor compares it with the connection's zone: equal, nothing replaced.
    assert loader.timezone == connection.timezone


def test_values_equal_djangos_loader_to_the_microsecond_and_tzinfo() -> None:
    ours = _select(LITERALS)
    connection.ensure_connection()
    raw: Any = connection.connection

    class DjangoLoader(BaseTzLoader):
        timezone = connection.timezone

    with raw.cursor() as cursor:
        cursor.adapters.register_loader("timestamptz", DjangoLoader)
        cursor.execute(" UNION ALL ".join(["SELECT %s::timestamptz"] * len(LITERALS)), LITERALS)
        djangos = [row[0] for row in cursor.fetchall()]
    assert ours == djangos
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in djangos]
    assert all(value.tzinfo is dt.UTC for value in ours)


def test_a_loader_for_another_zone_replaces_tzinfo_as_django_does() -> None:
    zone = dt.timezone(dt.timedelta(hours=-3))
    loader_class = timestamptz_loader_for(zone)
    assert loader_class is not None
    connection.ensure_connection()
    loader = loader_class(1184, connection.connection)
    value = loader.load(b"2024-05-06 12:00:00+00")
    # BaseTzLoader's chop: the UTC wall clock with the other zone as tzinfo.
    assert value == dt.datetime(2024, 5, 6, 12, 0, tzinfo=zone)
    naive = timestamptz_loader_for(None)
    assert naive is not None
    assert naive(1184, connection.connection).load(b"2024-05-06 12:00:00+00") == dt.datetime(
        2024, 5, 6, 12, 0
    )
