"""Parity: the read endpoints answer byte for byte what the former plain DRF serializers and
DRF's ``JSONRenderer`` produced (``core/tests/legacy_serializers.py``), over varied data:
accents, quotes, U+2028, empty and null fields, decimals, microseconds, paid appointments."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from appointments.lifecycle_views import BookingEventSerializer
from appointments.models import Appointment, BookingEvent, BookingStatus, Patient
from core.api.compiled import CompiledReadMixin, represent_many
from core.tests.access_fixtures import make_patient, make_user
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from core.tests.legacy_serializers import (
    LegacyAppointmentSerializer,
    LegacyBookingEventSerializer,
    LegacyPatientListSerializer,
    LegacyPatientSerializer,
    LegacyPaymentStatusSerializer,
    LegacyProfessionalSerializer,
    LegacyScheduleExceptionSerializer,
    LegacyWorkingHoursRuleSerializer,
)
from payments.models import PaymentTransaction, TransactionStatus, TransactionType
from payments.serializers import PaymentStatusSerializer
from professionals.models import Professional
from professionals.schedule.models import ExceptionKind, ScheduleException, WorkingHoursRule
from professionals.schedule.serializers import (
    ScheduleExceptionSerializer,
    WorkingHoursRuleSerializer,
)

pytestmark = pytest.mark.django_db


class _View:
    def __init__(self, action: str) -> None:
        self.action = action


def _render(data: Any) -> bytes:
    rendered: bytes = JSONRenderer().render(data)
    return rendered


@pytest.fixture
def seeded() -> dict[str, Any]:
    owner = make_user("parity-prof")
    names = [
        "Dra. Ana Silva",
        'Dr. "Zé" Ação \\ barra',
        "Linha\u2028separada\u2029 e emoji \U0001f600",
        "Ñoño <b>tag</b> & co",
    ]
    professionals = []
    for index, name in enumerate(names):
        professionals.append(
            ProfessionalFactory.create(
                preferred_name=name,
                cpf_cnpj=["52998224725", "11222333000181", "", "39053344705"][index],
                income_value=[Decimal("1234.50"), None, Decimal("0.01"), Decimal("99999.99")][index]
                if hasattr(Professional, "income_value")
                else None,
                user=owner if index == 0 else None,
            )
        )
    patients = [
        make_patient("João Pereira", email="joao@example.com", phone="(11) 91234-5678"),
        make_patient("Maria \u2028 Oliveira"),
    ]
    paid_at = dt.datetime(2026, 3, 4, 15, 16, 17, 123456, tzinfo=dt.UTC)
    for index in range(30):
        appointment = AppointmentFactory.create(
            professional=professionals[index % 2],
            patient=patients[index % 2] if index % 3 else None,
        )
        if index % 4 == 0:
            Appointment.objects.filter(pk=appointment.pk).update(
                total_amount=Decimal("150.00"),
                platform_amount=Decimal("22.50"),
                professional_amount=Decimal("127.50"),
                status="PAID",
                paid_at=paid_at,
                due_date=dt.date(2026, 3, 10),
                asaas_payment_id=f"pay_{index:012d}",
                asaas_invoice_url="https://example.com/i/Ação",
                last_payment_error='erro "temporário" — ção',
            )
    return {"owner": owner, "professionals": professionals, "patients": patients}


def schedule_seed(professionals: list[Professional]) -> dict[str, int]:
    """Rules and exceptions of the first professional (the owner's) and the second; the third
    has none; a national holiday (no professional) is listed under nobody."""
    own, other, bare = professionals[:3]
    rule_fields = (
        "professional weekday start_time end_time breaks slot_minutes valid_from valid_until"
    )
    rules = [
        (own, 0, "08:00", "18:00", [{"start": "12:00", "end": "13:00"}], 50, "2026-01-01", None),
        (own, 0, "19:00", "20:30", [], 30, None, "2027-06-30"),
        (own, 2, "07:30", "11:15", [], 45, None, None),
        (
            own,
            4,
            "08:00",
            "17:00",
            [{"start": "10:00", "end": "10:15"}, {"start": "12:00", "end": "13:30"}],
            60,
            None,
            None,
        ),
        (other, 1, "09:00", "10:00", [], 30, None, None),
    ]
    exception_fields = "professional date kind start_time end_time description"
    exceptions: list[tuple[Any, ...]] = [
        (own, "2026-12-24", ExceptionKind.DAY_OFF, None, None, 'Véspera "Natal" — ção \\'),
        (own, "2026-12-31", ExceptionKind.HOLIDAY, "13:00", "18:00", ""),
        (own, "2026-12-19", ExceptionKind.EXTRA_HOURS, "09:00", "12:00", "Sábado \u2028 extra"),
        (own, "2026-12-19", ExceptionKind.DAY_OFF, None, None, "mesmo dia, sem horário"),
        (own, "2026-12-19", ExceptionKind.EXTRA_HOURS, "07:00", "08:00", ""),
        (other, "2027-01-02", ExceptionKind.EXTRA_HOURS, "10:00", "11:00", ""),
        (None, "2026-12-25", ExceptionKind.HOLIDAY, None, None, "Natal"),
    ]
    for model, fields, rows in (
        (WorkingHoursRule, rule_fields, rules),
        (ScheduleException, exception_fields, exceptions),
    ):
        for row in rows:
            model.objects.create(**dict(zip(fields.split(), row, strict=True)))
    return {"own": own.pk, "other": other.pk, "bare": bare.pk}


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _expected_list(body: dict[str, Any], rows: list[Any], serializer: Any, action: str) -> bytes:
    context = {"view": _View(action)}
    return _render(
        {
            "count": body["count"],
            "next": body["next"],
            "previous": body["previous"],
            "results": serializer(rows, many=True, context=context).data,
        }
    )


def _in_order(model: Any, ids: list[int]) -> list[Any]:
    queryset = model.objects.all()
    if model is Appointment:
        queryset = queryset.select_related("professional", "patient")
    by_id = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids]


LISTS = [
    ("/api/professionals/", Professional, LegacyProfessionalSerializer),
    ("/api/professionals/?search=Ana", Professional, LegacyProfessionalSerializer),
    ("/api/professionals/?page_size=2&page=2", Professional, LegacyProfessionalSerializer),
    ("/api/appointments/", Appointment, LegacyAppointmentSerializer),
    ("/api/appointments/?page_size=7&page=3", Appointment, LegacyAppointmentSerializer),
    ("/api/patients/", Patient, LegacyPatientListSerializer),
]
DETAILS = [
    ("/api/professionals/{}/", Professional, LegacyProfessionalSerializer),
    ("/api/appointments/{}/", Appointment, LegacyAppointmentSerializer),
    ("/api/patients/{}/", Patient, LegacyPatientSerializer),
]


@pytest.mark.parametrize("role", ["staff", "professional"])
@pytest.mark.parametrize(("url", "model", "serializer"), LISTS)
def test_list_bodies_are_byte_identical(
    seeded: dict[str, Any], staff_user: Any, role: str, url: str, model: Any, serializer: Any
) -> None:
    user = staff_user if role == "staff" else seeded["owner"]
    if role == "professional" and "page=" in url:
        url = url.split("?")[0]  # they see one professional: there is no second page
    response = _client(user).get(url)
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    rows = _in_order(model, [item["id"] for item in body["results"]])
    if role == "staff":
        assert rows, url  # the comparison covers real rows
    assert response.content == _expected_list(body, rows, serializer, "list")


@pytest.mark.parametrize(("url", "model", "serializer"), DETAILS)
def test_detail_bodies_are_byte_identical(
    seeded: dict[str, Any], staff_user: Any, url: str, model: Any, serializer: Any
) -> None:
    client = _client(staff_user)
    for row in model.objects.all():
        response = client.get(url.format(row.pk))
        assert response.status_code == 200, response.content
        row = _in_order(model, [row.pk])[0]
        expected = _render(serializer(row, context={"view": _View("retrieve")}).data)
        assert response.content == expected


@pytest.mark.parametrize(
    ("inner", "model", "serializer"),
    [
        ("working_hours", WorkingHoursRule, LegacyWorkingHoursRuleSerializer),
        ("schedule_exceptions", ScheduleException, LegacyScheduleExceptionSerializer),
    ],
)
def test_schedule_bodies_are_byte_identical(
    seeded: dict[str, Any], staff_user: Any, inner: str, model: Any, serializer: Any
) -> None:
    """A professional's working hours (their breaks: a list of a plain serializer) and
    exceptions (times in HH:MM, empty ones null), listed and one by one."""
    ids = schedule_seed(seeded["professionals"])
    client = _client(staff_user)
    for pid in (ids["own"], ids["other"]):
        response = client.get(f"/api/professionals/{pid}/{inner}/")
        assert response.status_code == 200, response.content
        body = json.loads(response.content)
        rows = _in_order(model, [item["id"] for item in body["results"]])
        assert rows
        assert response.content == _expected_list(body, rows, serializer, "list")
        for row in rows:
            response = client.get(f"/api/professionals/{pid}/{inner}/{row.pk}/")
            expected = _render(serializer(row, context={"view": _View("retrieve")}).data)
            assert response.content == expected


def ledger_row(appointment: Appointment, n: int) -> PaymentTransaction:
    """The ``n``-th of varied ledger rows: every type and status, amounts null and not, errors
    with awkward characters."""
    return PaymentTransaction.objects.create(
        appointment=appointment,
        professional=appointment.professional,
        transaction_type=list(TransactionType)[n % len(TransactionType)],
        status=list(TransactionStatus)[n % len(TransactionStatus)],
        amount=None if n % 2 else Decimal("150.00") - n,
        asaas_payment_id=f"pay_{n}" if n % 3 else "",
        error_message='falhou "já" — \u2028 ção' if n % 4 == 1 else "",
    )


def test_payment_status_and_booking_events_are_byte_identical(
    seeded: dict[str, Any], staff_user: Any
) -> None:
    """The payment state with its ledger rows (a method field declared to read only the
    appointment; amounts null and not, errors with awkward characters) and the booking
    events (with and without an actor), as DRF wrote them without compiled plans."""
    actor = make_user("parity-actor")
    appointments = list(Appointment.objects.order_by("pk")[:6])
    for index, appointment in enumerate(appointments):
        for n in range(index % 3 + (index == 0) * 22):  # the first has more than 20
            ledger_row(appointment, n)
            BookingEvent.objects.create(
                appointment=appointment,
                source=BookingStatus.SCHEDULED,
                target=list(BookingStatus)[n % len(BookingStatus)],
                actor=actor if n % 2 else None,
                reason="<motivo> & ção" if n % 2 else "",
                payment_action="REFUND" if n % 3 == 2 else "",
            )
    assert PaymentStatusSerializer.compiled_representer() is not None
    assert BookingEventSerializer.compiled_representer() is not None
    client = _client(staff_user)
    for appointment in appointments:
        status = client.get(f"/api/appointments/{appointment.pk}/payment_status/")
        row = Appointment.objects.prefetch_related(
            Prefetch(
                "payment_transactions",
                queryset=PaymentTransaction.objects.order_by("-created_at", "-id"),
            )
        ).get(pk=appointment.pk)
        assert status.content == _render(LegacyPaymentStatusSerializer(row).data)
        events = client.get(f"/api/appointments/{appointment.pk}/booking_events/")
        rows = appointment.booking_events.select_related("actor").order_by("created_at", "id")
        assert events.content == _render(LegacyBookingEventSerializer(rows, many=True).data)
    assert (
        len(
            client.get(f"/api/appointments/{appointments[0].pk}/payment_status/").json()[
                "transactions"
            ]
        )
        == 20
    )


def test_a_list_of_plain_serializers_compiles_unless_an_item_field_may_read_the_request() -> None:
    class Note(serializers.Serializer[dict[str, Any]]):
        text = serializers.CharField()
        said = serializers.SerializerMethodField()  # may read the context

        def get_said(self, item: dict[str, Any]) -> str:
            return str(self.context.get("request"))

    class WithNotes(WorkingHoursRuleSerializer):
        breaks = Note(many=True)  # type: ignore[assignment]

    assert WorkingHoursRuleSerializer.compiled_representer() is not None
    assert ScheduleExceptionSerializer.compiled_representer() is not None
    assert WithNotes.compiled_representer() is None


def test_declared_masks_apply_on_the_plan_and_on_drfs_path_alike(seeded: dict[str, Any]) -> None:
    """``MASKS`` always, ``LIST_MASKS`` only in a list's context; written by the plan, or by
    DRF's path when the class has none (a field that may read the request) or when it is
    nested in another (its masks may depend on the view)."""

    def shout(value: Any) -> Any:
        return None if value is None else f"<{value}>"

    class Masked(CompiledReadMixin, serializers.ModelSerializer[Professional]):
        MASKS = {"preferred_name": shout}
        LIST_MASKS = {"profession": shout}

        class Meta:
            model = Professional
            fields = ["id", "preferred_name", "profession"]

    class Unplanned(Masked):
        extra = serializers.SerializerMethodField()

        class Meta(Masked.Meta):
            fields = [*Masked.Meta.fields, "extra"]

        def get_extra(self, instance: Professional) -> str:
            return "x"

    class Holder(CompiledReadMixin, serializers.ModelSerializer[Appointment]):
        professional = Masked(read_only=True)

        class Meta:
            model = Appointment
            fields = ["id", "professional"]

    professional = seeded["professionals"][1]
    name, job = f"<{professional.preferred_name}>", professional.profession
    assert Masked.compiled_representer() is not None
    assert Unplanned.compiled_representer() is None
    assert Holder.compiled_representer() is None
    for kind in (Masked, Unplanned):
        detail = kind(professional).data
        listed = kind([professional], many=True, context={"view": _View("list")}).data[0]
        assert (detail["preferred_name"], detail["profession"]) == (name, job), kind
        assert (listed["preferred_name"], listed["profession"]) == (name, f"<{job}>"), kind
    appointment = Appointment.objects.filter(professional=professional).first()
    assert appointment is not None
    nested = Holder([appointment], many=True, context={"view": _View("list")}).data[0]
    assert nested["professional"]["profession"] == f"<{job}>"
    assert represent_many(Masked(context={"view": _View("list")}), [professional]) == [
        {"id": professional.pk, "preferred_name": name, "profession": f"<{job}>"}
    ]


def test_the_data_exercises_the_awkward_characters(seeded: dict[str, Any], staff_user: Any) -> None:
    content = _client(staff_user).get("/api/professionals/").content
    assert b"\\u2028" in content  # escaped as DRF does, for JavaScript's sake
    assert "Ação".encode() in content  # UTF-8, not \u escapes


AWKWARD_VALUES: list[Any] = [
    {"a": 1, "b": [1, 2.5, None, True, False], "c": "Ação \u2028 \u2029 \x00 \x1f \x7f \U0001f600"},
    {"tiny": 1e-05, "big": 1e16, "third": 1 / 3, "neg": -0.0},
    {"when": dt.datetime(2026, 3, 4, 15, 16, 17, 123456, tzinfo=dt.UTC)},
    {"when": dt.datetime(2026, 3, 4, 15, 16, 17, tzinfo=dt.timezone(dt.timedelta(hours=-3)))},
    {"day": dt.date(2026, 3, 4), "time": dt.time(9, 30), "span": dt.timedelta(minutes=50)},
    {"money": Decimal("150.00"), "huge": 2**70, 3: "chave inteira"},
    [("tupla", 1), {"nested": {"deep": ["x"]}}],
    {"lazy": gettext_lazy("Não encontrado.")},
    "texto 0.00001, não um número",
    {"only": "fim de parágrafo \u2029 só", "dash": "2025–2026 … “aspas”"},
    [-1e-05, [2e-07], {"k": 0.00009}, "0.0000 num texto"],
]


@pytest.mark.parametrize("value", AWKWARD_VALUES)
def test_the_fast_renderer_writes_drfs_bytes(value: Any) -> None:
    from core.api.renderers import FastJSONRenderer

    assert FastJSONRenderer().render(value) == JSONRenderer().render(value)
    indented = {"renderer_context": {"indent": 4}}
    assert FastJSONRenderer().render(value, "application/json", indented["renderer_context"]) == (
        JSONRenderer().render(value, "application/json", indented["renderer_context"])
    )


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo", "Asia/Kolkata"])
def test_datetimes_follow_the_active_zone_as_drf_does(seeded: dict[str, Any], zone: str) -> None:
    from django.utils import timezone

    from appointments.serializers import AppointmentSerializer

    rows = _in_order(Appointment, list(Appointment.objects.values_list("pk", flat=True)))
    assert rows
    context = {"view": _View("list")}
    with timezone.override(zone):
        compiled = AppointmentSerializer(rows, many=True, context=context).data
        legacy = LegacyAppointmentSerializer(rows, many=True, context=context).data
    assert _render(compiled) == _render(legacy)
    offset = "Z" if zone == "UTC" else ("-03:00" if zone == "America/Sao_Paulo" else "+05:30")
    assert all(str(item["created_at"]).endswith(offset) for item in compiled)


DECIMALS = [
    Decimal("150.00"),
    Decimal("150.0"),
    Decimal("150"),
    Decimal("0.00"),
    Decimal("-0.00"),
    Decimal("0"),
    Decimal("-0"),
    Decimal("0E+5"),
    Decimal("2.675"),
    Decimal("2.665"),
    Decimal("-22.505"),
    Decimal("99999999.99"),
    Decimal("1E+3"),
    Decimal("NaN"),
    Decimal("Infinity"),
    150,
    2.675,
    "12.5",
]


@pytest.mark.parametrize("coerce", [True, False])
def test_the_remembered_decimal_output_is_drfs_for_every_value_and_order(coerce: bool) -> None:
    """The memo of compiled decimal fields: each value gives DRF's output (or DRF's error),
    first seen or remembered, whatever was seen before it (equal values, signed zeros)."""
    from rest_framework import serializers

    from core.api.compiled import _decimal_memo

    field = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=coerce)

    def drf(value: Any) -> Any:
        try:
            return ("ok", field.to_representation(value))
        except Exception as error:  # noqa: BLE001 - the same failure is the point
            return ("error", type(error))

    emit = _decimal_memo(field)

    def ours(value: Any) -> Any:
        try:
            return ("ok", emit(value))
        except Exception as error:  # noqa: BLE001
            return ("error", type(error))

    for order in (DECIMALS, list(reversed(DECIMALS)), DECIMALS):
        for value in order:
            expected, got = drf(value), ours(value)
            if expected[0] == "ok" and isinstance(expected[1], Decimal) and expected[1].is_nan():
                assert got[0] == "ok"
                assert got[1].is_nan()
            else:
                assert got == expected, value
    assert str(ours(Decimal("-0.00"))[1]) == "-0.00"
    assert str(ours(Decimal("0.00"))[1]) == "0.00"


def test_a_page_reads_the_zone_once(seeded: dict[str, Any], monkeypatch: Any) -> None:
    from django.utils import timezone

    from appointments.serializers import AppointmentSerializer
    from core.api import compiled

    rows = _in_order(Appointment, list(Appointment.objects.values_list("pk", flat=True)))
    assert len(rows) > 1
    calls = []
    real = timezone.get_current_timezone

    def counted() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(timezone, "get_current_timezone", counted)
    serializer = AppointmentSerializer(context={"view": _View("list")})
    with timezone.override("Asia/Kolkata"), compiled.zone_fixed():
        page = [serializer.to_representation(row) for row in rows]
    assert len(calls) == 1
    assert all(str(item["created_at"]).endswith("+05:30") for item in page)
