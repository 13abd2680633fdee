"""Working hours, exceptions and calendar feed in the API (times are America/Sao_Paulo)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers
from rest_framework.utils import html

from core.api.fields import StrictModelSerializer

from .models import (
    MAX_SLOT_MINUTES,
    MIN_SLOT_MINUTES,
    CalendarFeed,
    ExceptionKind,
    ScheduleException,
    WorkingHoursRule,
)

TIME_FORMAT = "%H:%M"


class StrictBooleanField(serializers.BooleanField):
    """``true``/``false`` only (a JSON boolean, or those words in a form): DRF would also take
    ``1``, ``"0"``, ``"yes"``… which the OpenAPI schema (boolean) does not allow."""

    def get_value(self, dictionary: Any) -> Any:
        # A form field sent empty is a value ("" → refused), not "omitted" as DRF reads it.
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)
        raise AssertionError  # unreachable: fail() raises


MAX_BREAKS = 10


class BreakSerializer(serializers.Serializer[dict[str, Any]]):
    start = serializers.TimeField(format=TIME_FORMAT, help_text=_("Início (HH:MM)."))
    end = serializers.TimeField(format=TIME_FORMAT, help_text=_("Fim (HH:MM)."))


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _seconds_free(value: dt.time | None, name: str) -> dict[str, Any]:
    if value is not None and (value.second or value.microsecond):
        return {name: _("Use horas e minutos (HH:MM).")}
    return {}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Segunda, 08:00-18:00 com almoço",
            value={
                "weekday": 0,
                "start_time": "08:00",
                "end_time": "18:00",
                "slot_minutes": 50,
                "breaks": [{"start": "12:00", "end": "13:00"}],
                "valid_from": "2026-01-01",
                "valid_until": None,
            },
            request_only=True,
        )
    ]
)
class WorkingHoursRuleSerializer(StrictModelSerializer[WorkingHoursRule]):
    start_time = serializers.TimeField(format=TIME_FORMAT)
    end_time = serializers.TimeField(format=TIME_FORMAT)
    breaks = BreakSerializer(many=True, required=False)
    slot_minutes = serializers.IntegerField(
        min_value=MIN_SLOT_MINUTES, max_value=MAX_SLOT_MINUTES, required=False
    )

    class Meta:
        model = WorkingHoursRule
        fields = [
            "id",
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "breaks",
            "valid_from",
            "valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        merged = {
            name: attrs.get(name, getattr(instance, name, None))
            for name in ("start_time", "end_time", "slot_minutes", "valid_from", "valid_until")
        }
        start, end = merged["start_time"], merged["end_time"]
        errors: dict[str, Any] = {}
        errors |= _seconds_free(attrs.get("start_time"), "start_time")
        errors |= _seconds_free(attrs.get("end_time"), "end_time")
        if start is not None and end is not None and end <= start:
            errors["end_time"] = _("O fim deve ser posterior ao início.")
        elif start is not None and end is not None:
            slot = merged["slot_minutes"] or 30
            if slot > _minutes(end) - _minutes(start):
                errors["slot_minutes"] = _("Maior que o expediente deste dia.")
        if (
            merged["valid_from"]
            and merged["valid_until"]
            and merged["valid_until"] < merged["valid_from"]
        ):
            errors["valid_until"] = _("Deve ser igual ou posterior a valid_from.")
        if "breaks" in attrs and not errors and start is not None and end is not None:
            error = self._breaks_error(attrs["breaks"], start, end)
            if error:
                errors["breaks"] = error
        if errors:
            raise serializers.ValidationError(errors)
        if "breaks" in attrs:
            attrs["breaks"] = [
                {
                    "start": item["start"].strftime(TIME_FORMAT),
                    "end": item["end"].strftime(TIME_FORMAT),
                }
                for item in sorted(attrs["breaks"], key=lambda item: item["start"])
            ]
        return attrs

    @staticmethod
    def _breaks_error(breaks: list[dict[str, dt.time]], start: dt.time, end: dt.time) -> str:
        if len(breaks) > MAX_BREAKS:
            return str(_("No máximo %(max)d intervalos.") % {"max": MAX_BREAKS})
        previous_end: dt.time | None = None
        for item in sorted(breaks, key=lambda item: item["start"]):
            if item["end"] <= item["start"]:
                return str(_("Cada intervalo precisa terminar depois de começar."))
            if item["start"] < start or item["end"] > end:
                return str(_("Os intervalos precisam estar dentro do expediente."))
            if previous_end is not None and item["start"] < previous_end:
                return str(_("Os intervalos não podem se sobrepor."))
            previous_end = item["end"]
        return ""


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Folga o dia todo",
            value={"date": "2026-12-24", "kind": "DAY_OFF", "description": "Véspera de Natal"},
            request_only=True,
        ),
        OpenApiExample(
            "Sábado extra",
            value={
                "date": "2026-12-19",
                "kind": "EXTRA_HOURS",
                "start_time": "09:00",
                "end_time": "12:00",
                "slot_minutes": 30,
            },
            request_only=True,
        ),
    ]
)
class ScheduleExceptionSerializer(StrictModelSerializer[ScheduleException]):
    start_time = serializers.TimeField(format=TIME_FORMAT, required=False, allow_null=True)
    end_time = serializers.TimeField(format=TIME_FORMAT, required=False, allow_null=True)
    slot_minutes = serializers.IntegerField(
        min_value=MIN_SLOT_MINUTES, max_value=MAX_SLOT_MINUTES, required=False
    )

    class Meta:
        model = ScheduleException
        fields = [
            "id",
            "date",
            "kind",
            "start_time",
            "end_time",
            "slot_minutes",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        kind = attrs.get("kind", getattr(instance, "kind", None))
        start = attrs.get("start_time", getattr(instance, "start_time", None))
        end = attrs.get("end_time", getattr(instance, "end_time", None))
        errors: dict[str, Any] = {}
        errors |= _seconds_free(attrs.get("start_time"), "start_time")
        errors |= _seconds_free(attrs.get("end_time"), "end_time")
        if (start is None) != (end is None):
            errors["end_time" if end is None else "start_time"] = _(
                "Informe início e fim, ou nenhum dos dois (o dia todo)."
            )
        elif start is not None and end is not None and end <= start:
            errors["end_time"] = _("O fim deve ser posterior ao início.")
        elif kind == ExceptionKind.EXTRA_HOURS and start is None:
            errors["start_time"] = _("Horário extra precisa de início e fim.")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CalendarFeedSerializer(StrictModelSerializer[CalendarFeed]):
    include_patient_name = StrictBooleanField(
        required=False,
        help_text=_("Mostrar o nome do paciente nos eventos (padrão: não)."),
    )
    url = serializers.SerializerMethodField(
        help_text=_(
            "Endereço secreto da agenda (ICS). Mostrado só quando criado ou renovado; "
            "guarde-o: depois aparece null."
        )
    )

    class Meta:
        model = CalendarFeed
        fields = ["include_patient_name", "url", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_url(self, instance: CalendarFeed) -> str | None:
        url: str | None = self.context.get("feed_url")
        return url
