"""Appointments and patients on the fast read path (``core.api.fastread``): the scoping of
``appointment_read_list_for`` and ``patient_list_for`` and the filters of
``AppointmentFilter`` and ``PatientFilter``, in SQL. Other parameters (``booking_status``,
``ordering``) and a professional user's patients take the whole stack."""

from __future__ import annotations

import datetime as dt

from django import forms

from core.api.fastread import Condition, FastResource, Related, Unserved, search_condition
from core.db import BIGINT_MAX, column
from core.documents import only_digits

from .filters import DateOrDateTimeField, day_bounds
from .models import Appointment, Patient
from .selectors import PROFESSIONAL_SUMMARY_FIELDS
from .serializers import AppointmentSerializer, PatientListSerializer, PatientSerializer
from .views import AppointmentViewSet, PatientViewSet

_date_field = DateOrDateTimeField(required=False)


def _moment(value: str) -> dt.date | dt.datetime:
    try:
        parsed: dt.date | dt.datetime | None = _date_field.clean(value)
    except forms.ValidationError as error:
        raise Unserved("date") from error
    if parsed is None:
        raise Unserved("date")
    return parsed


def _date(value: str) -> list[Condition]:
    moment = _moment(value)
    date = column(Appointment, "date")
    if isinstance(moment, dt.datetime):
        return [(f"{date} = %s", [moment])]
    start, end = day_bounds(moment)
    return [(f"{date} >= %s", [start]), (f"{date} < %s", [end])]


def _from(value: str) -> list[Condition]:
    moment = _moment(value)
    start = moment if isinstance(moment, dt.datetime) else day_bounds(moment)[0]
    return [(f"{column(Appointment, 'date')} >= %s", [start])]


def _until(value: str) -> list[Condition]:
    moment = _moment(value)
    if isinstance(moment, dt.datetime):
        return [(f"{column(Appointment, 'date')} <= %s", [moment])]
    return [(f"{column(Appointment, 'date')} < %s", [day_bounds(moment)[1]])]


def _professional(value: str) -> list[Condition]:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= BIGINT_MAX:
        raise Unserved("professional")
    return [(f"{column(Appointment, 'professional')} = %s", [int(value)])]


APPOINTMENTS = FastResource(
    prefix="appointments",
    view=AppointmentViewSet,
    model=Appointment,
    order=("date", "id"),
    list_serializer=AppointmentSerializer,
    detail_serializer=AppointmentSerializer,
    filters={
        "professional": _professional,
        "date": _date,
        "date_start": _from,
        "start_date": _from,
        "date_end": _until,
        "end_date": _until,
    },
    scope="professional",  # a professional user reads their own appointments
    related=Related("professional", PROFESSIONAL_SUMMARY_FIELDS),
)


def _patient_search(value: str) -> list[Condition]:
    conditions = search_condition(Patient, ("name", "email"), value)
    digits = only_digits(value.strip())
    if conditions and len(digits) == 11:
        sql, params = conditions[0]
        return [(f"{sql} OR {column(Patient, 'cpf')} = %s", [*params, digits])]
    return conditions


PATIENTS = FastResource(
    prefix="patients",
    view=PatientViewSet,
    model=Patient,
    order=("name", "id"),
    list_serializer=PatientListSerializer,
    detail_serializer=PatientSerializer,
    filters={"search": _patient_search},
    counted_apart=frozenset({"search"}),
    scope=None,  # a professional's patients: the whole stack (a subquery of appointments)
)
