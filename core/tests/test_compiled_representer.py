"""``representer_of``: the function written for a plan gives what applying its steps one by
one gives (``value if value is None or convert is None else convert(value)``), in the plan's
order, whatever the names and values."""

from __future__ import annotations

import datetime as dt
import types
import zoneinfo
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from core.api.compiled import Plan, datetime_iso, representer_of


def _applied(plan: Plan, instance: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, column, get, convert in plan:
        value = getattr(instance, column) if column is not None else get(instance)  # type: ignore[misc]
        data[name] = value if value is None or convert is None else convert(value)
    return data


class Text(str):
    pass


def _plan() -> tuple[Plan, list[str]]:
    calls: list[str] = []

    def upper(value: Any) -> Any:
        calls.append(value)
        return str(value).upper()

    integer = serializers.IntegerField().to_representation
    big = serializers.CharField()  # any field: only its ``to_representation`` is read
    plan: Plan = [
        ("id", "id", None, integer),
        ("class", "class", None, str),  # a keyword as the attribute
        ("odd name 'quoted' \"too\"", "with-dash", None, str),  # not an identifier
        ("flag", "flag", None, integer),  # a bool through int(): 1, not True
        ("derived", None, lambda instance: instance.id * 2, None),
        ("shouted", "label", None, upper),
        ("missing", "nothing", None, upper),
        ("raw", "label", None, None),
        ("text", "text", None, big.to_representation),
    ]
    return plan, calls


def test_the_written_function_is_the_steps_applied_one_by_one() -> None:
    plan, calls = _plan()
    represent = representer_of(plan)
    instances = [
        types.SimpleNamespace(
            id=7, flag=True, label="ana", nothing=None, text=Text("sub"), **{"class": "x"}
        ),
        types.SimpleNamespace(
            id=None, flag=None, label=None, nothing=None, text=None, **{"class": None}
        ),
    ]
    for instance in instances:
        setattr(instance, "with-dash", Text("dashed") if instance.id else None)
    instances[1].id = 0  # ``derived`` needs a number

    for instance in instances:
        expected = _applied(plan, instance)
        got = represent(instance)
        assert got == expected
        assert list(got) == [step[0] for step in plan]  # the plan's order
        assert [type(value) for value in got.values()] == [
            type(value) for value in expected.values()
        ]
    first = represent(instances[0])
    assert first["flag"] == 1
    assert first["flag"] is not True
    assert type(first["odd name 'quoted' \"too\""]) is str  # str() of a subclass: a plain str
    assert calls == ["ana"] * 3  # never called with None: once per representation of "ana"


def test_a_missing_attribute_raises_as_the_steps_do() -> None:
    plan, _calls = _plan()
    represent = representer_of(plan)
    instance = types.SimpleNamespace(id=1)
    for run in (represent, lambda i: _applied(plan, i)):
        try:
            run(instance)
        except AttributeError:
            continue
        raise AssertionError("no AttributeError")


class Kind(str):
    """A ``str`` subclass (an enum member's kind of value): never looked up inline."""


def test_choices_and_dates_written_inline_give_what_drf_gives() -> None:
    choice = serializers.ChoiceField(choices=[("A", "Ativo"), (1, "Um"), ("", "Vazio")])
    date = serializers.DateField()
    text_date = serializers.DateField(format="%d/%m/%Y")  # not ISO 8601: DRF's call
    plan: Plan = [
        ("choice", "choice", None, choice.to_representation),
        ("date", "date", None, date.to_representation),
        ("text_date", "date", None, text_date.to_representation),
    ]
    represent = representer_of(plan)
    values: list[tuple[Any, Any]] = [
        ("A", dt.date(2030, 1, 7)),
        ("", "2030-01-07"),  # a string in a date field: itself
        (1, None),  # a choice by a number: looked up by its text
        ("1", dt.date(1, 1, 1)),
        ("unknown", dt.date(9999, 12, 31)),
        (Kind("A"), None),
        (None, None),
    ]
    for choice_value, date_value in values:
        instance = types.SimpleNamespace(choice=choice_value, date=date_value)
        expected = _applied(plan, instance)
        got = represent(instance)
        assert got == expected
        assert [type(value) for value in got.values()] == [
            type(value) for value in expected.values()
        ]
    got = represent(types.SimpleNamespace(choice="A", date=dt.date(2030, 1, 7)))
    assert got == {"choice": "A", "date": "2030-01-07", "text_date": "07/01/2030"}


def test_native_datetimes_written_inline_give_what_the_step_gives() -> None:
    """The native datetime step's test (``_orjson_writes``) is written inline with the zone
    read once per instance: the same values, of the same types, in every case it tells
    apart — and in a zone it refuses (an offset with seconds)."""
    field = serializers.DateTimeField()
    native = datetime_iso(field, native=True)
    assert native is not None
    plan: Plan = [("at", "at", None, native), ("id", "id", None, None)]
    represent = representer_of(plan)
    sao_paulo = zoneinfo.ZoneInfo("America/Sao_Paulo")
    values: list[Any] = [
        dt.datetime(2030, 1, 7, 11, 30, tzinfo=dt.UTC),  # astimezone, left for orjson
        dt.datetime(2030, 1, 7, 8, 30, 0, 250, tzinfo=sao_paulo),
        dt.datetime(1972, 12, 31, 23, 0, tzinfo=dt.UTC),  # before 1973: text
        dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC),  # past 9998: text (or DRF's)
        dt.datetime(2030, 1, 7, 11, 30),  # naive: DRF's answer
        dt.datetime(2030, 1, 7, 11, 30, tzinfo=dt.timezone(dt.timedelta(seconds=30))),
        "2030-01-07T11:30:00Z",  # a string: DRF's answer
        None,
    ]
    zones: list[str | dt.tzinfo] = [
        "America/Sao_Paulo",
        "UTC",
        dt.timezone(dt.timedelta(hours=5, seconds=1)),
    ]
    native_seen = text_seen = 0
    for zone in zones:
        with timezone.override(zone):
            for value in values:
                instance = types.SimpleNamespace(at=value, id=1)
                try:
                    expected = _applied(plan, instance)
                except Exception as error:  # the representer must fail alike
                    try:
                        represent(instance)
                    except type(error):
                        continue
                    raise AssertionError(f"no {type(error).__name__} for {value!r}") from error
                got = represent(instance)
                assert got == expected, (zone, value)
                assert type(got["at"]) is type(expected["at"])
                if isinstance(got["at"], dt.datetime):
                    assert got["at"].tzinfo is expected["at"].tzinfo
                    native_seen += 1
                elif got["at"] is not None:
                    text_seen += 1
    assert native_seen >= 4  # the inline branch is taken...
    assert text_seen >= 8  # ...and so is the call
