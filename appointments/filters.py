"""Appointment filters: ``?date=`` takes an instant or a whole local day."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.api.filtering import RequestedFilterSet
from core.db import BIGINT_MAX
from core.documents import only_digits

from .models import Appointment, BookingStatus, Patient

# In a query string an unescaped "+" arrives as a space: "...T14:00:00 03:00".
_SPACE_OFFSET = re.compile(r"^(.+[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


#: Dates a filter accepts (far dates overflow day arithmetic and PostgreSQL's offsets).
FILTER_MIN_YEAR = 1900
FILTER_MAX_YEAR = 2200


class DateOrDateTimeField(forms.Field):
    """Accepts ``YYYY-MM-DD`` (a date) or an ISO 8601 date-time (aware or local), between the
    years ``FILTER_MIN_YEAR`` and ``FILTER_MAX_YEAR``; aware values are normalised to UTC."""

    default_error_messages = {
        "invalid": _("Informe uma data (AAAA-MM-DD) ou data e hora ISO 8601 válida."),
        "range": _("Informe uma data entre os anos %(start)d e %(end)d."),
    }

    def _in_range(self, value: dt.date) -> None:
        if not FILTER_MIN_YEAR <= value.year <= FILTER_MAX_YEAR:
            raise forms.ValidationError(
                self.error_messages["range"],
                code="range",
                params={"start": FILTER_MIN_YEAR, "end": FILTER_MAX_YEAR},
            )

    def to_python(self, value: Any) -> dt.date | dt.datetime | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            if len(text) == 10:
                parsed_date = parse_date(text)
                if parsed_date is not None:
                    self._in_range(parsed_date)
                    return parsed_date
            parsed = parse_datetime(_SPACE_OFFSET.sub(r"\1+\2", text))
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        self._in_range(parsed)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed.astimezone(dt.UTC)


@extend_schema_field(OpenApiTypes.STR)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A positive integer id (bounded so no database ever sees an out-of-range value)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[00:00, next 00:00)`` of ``day`` in the current (São Paulo) time zone."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end


_BOOKING_VALUE = "(?:" + "|".join(BookingStatus.values) + ")"
#: The schema of ``?booking_status=``: one value or several separated by commas.
BOOKING_STATUS_PARAMETER = {
    "type": "string",
    "pattern": rf"^{_BOOKING_VALUE}(?:,{_BOOKING_VALUE})*$",
}


class BookingStatusInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """``?booking_status=SCHEDULED,CONFIRMED`` (each value checked against the choices)."""


class AppointmentFilter(RequestedFilterSet):
    professional = IdFilter(field_name="professional_id", label=_("ID do profissional."))
    date = DateOrDateTimeFilter(
        method="filter_date",
        label=_(
            "Data e hora exata (ISO 8601) ou um dia AAAA-MM-DD (o dia inteiro, horário local)."
        ),
    )
    date_start = DateOrDateTimeFilter(
        method="filter_date_start", label=_("Consultas que começam a partir desta data/hora (>=).")
    )
    date_end = DateOrDateTimeFilter(
        method="filter_date_end",
        label=_(
            "Consultas que começam até esta data/hora (<=); um dia AAAA-MM-DD inclui o dia todo."
        ),
    )
    start_date = DateOrDateTimeFilter(
        method="filter_date_start", label=_("Sinônimo de date_start.")
    )
    end_date = DateOrDateTimeFilter(method="filter_date_end", label=_("Sinônimo de date_end."))
    booking_status = BookingStatusInFilter(
        field_name="booking_status",
        lookup_expr="in",
        choices=BookingStatus.choices,
        label=_("Situação da consulta; várias separadas por vírgula (SCHEDULED,CONFIRMED)."),
    )
    ordering = django_filters.OrderingFilter(
        fields=(("date", "date"), ("created_at", "created_at")),
        label=_("Ordenação: date, -date, created_at, -created_at."),
    )

    class Meta:
        model = Appointment
        fields = ["professional", "booking_status"]

    def filter_date(
        self, queryset: QuerySet[Appointment], name: str, value: dt.date | dt.datetime
    ) -> QuerySet[Appointment]:
        if isinstance(value, dt.datetime):
            return queryset.filter(date=value)
        start, end = day_bounds(value)
        return queryset.filter(date__gte=start, date__lt=end)

    def filter_date_start(
        self, queryset: QuerySet[Appointment], name: str, value: dt.date | dt.datetime
    ) -> QuerySet[Appointment]:
        start = value if isinstance(value, dt.datetime) else day_bounds(value)[0]
        return queryset.filter(date__gte=start)

    def filter_date_end(
        self, queryset: QuerySet[Appointment], name: str, value: dt.date | dt.datetime
    ) -> QuerySet[Appointment]:
        if isinstance(value, dt.datetime):
            return queryset.filter(date__lte=value)
        return queryset.filter(date__lt=day_bounds(value)[1])


class PatientFilter(RequestedFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Busca por nome ou e-mail (contém) ou CPF (exato, com ou sem pontuação)."),
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("created_at", "created_at")),
        label=_("Ordenação: name, -name, created_at, -created_at."),
    )

    class Meta:
        model = Patient
        fields = ["search"]

    def filter_search(
        self, queryset: QuerySet[Patient], name: str, value: str
    ) -> QuerySet[Patient]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(name__icontains=value) | Q(email__icontains=value)
        digits = only_digits(value)
        if len(digits) == 11:
            condition |= Q(cpf=digits)
        return queryset.filter(condition)
