"""No mass assignment: every server-owned field is read-only to every role.

For each serializer the set of writable fields is pinned per role (a field added later is
server-owned until someone adds it here on purpose), and bogus values posted for every
server-owned field — by staff and by a professional, on create and on update — do not stick.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from appointments.models import Appointment, Patient, PaymentStatus
from appointments.serializers import AppointmentSerializer, PatientSerializer
from core.tests.access_fixtures import World, build_world, new_cpf
from payments.serializers import RefundRequestSerializer
from professionals.models import IntegrationStatus, Professional
from professionals.serializers import ProfessionalSerializer

pytestmark = pytest.mark.django_db

LONG_AGO = "2001-01-01T00:00:00Z"
FAR_SLOT = (dt.datetime.now(dt.UTC) + dt.timedelta(days=500)).replace(
    minute=0, second=0, microsecond=0
)
PROFESSIONAL_CLIENT_FIELDS = {
    "preferred_name",
    "profession",
    "address",
    "contact",
    "email",
    "phone",
    "cpf_cnpj",
    "income_value",
    "address_number",
    "province",
    "postal_code",
}
STAFF_ONLY_PROFESSIONAL_FIELDS = {"split_percentage", "asaas_wallet_id"}
APPOINTMENT_CLIENT_FIELDS = {
    "date",
    "duration_minutes",
    "professional",
    "patient",
    "total_amount",
    "payment_method",
    "due_date",
    # A request flag, not a field: staff-only (validated), never stored.
    "allow_outside_hours",
}
PATIENT_CLIENT_FIELDS = {"name", "cpf", "email", "phone"}


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def writable(serializer_class: type, user: Any) -> set[str]:
    request = APIRequestFactory().get("/")
    request.user = user
    serializer = serializer_class(context={"request": request})
    return {name for name, f in serializer.fields.items() if not f.read_only}


def recent(value: dt.datetime) -> bool:
    return abs(timezone.now() - value) < dt.timedelta(minutes=5)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_writable_fields_are_pinned(world: World, role: str) -> None:
    user = world.user(role)
    staff_extra = STAFF_ONLY_PROFESSIONAL_FIELDS if role == "staff" else set()

    assert writable(ProfessionalSerializer, user) == PROFESSIONAL_CLIENT_FIELDS | staff_extra
    assert writable(AppointmentSerializer, user) == APPOINTMENT_CLIENT_FIELDS
    assert writable(PatientSerializer, user) == PATIENT_CLIENT_FIELDS
    # The refund request carries only what the operator decides (nothing server-owned).
    assert set(RefundRequestSerializer().fields) == {"amount", "description"}


# --- professionals ---------------------------------------------------------------------------


def professional_bogus(world: World) -> dict[str, Any]:
    return {
        "id": 777777,
        "asaas_account_id": "acc_bogus",
        "integration_status": IntegrationStatus.ACTIVE,
        "integration_error": "bogus",
        "asaas_created_at": LONG_AGO,
        "asaas_updated_at": LONG_AGO,
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "user": world.plain.pk,
    }


def assert_professional_server_fields(professional: Professional, *, user: Any) -> None:
    assert professional.pk != 777777
    assert professional.asaas_account_id == ""
    assert professional.integration_status == IntegrationStatus.PENDING
    assert professional.integration_error == ""
    assert professional.asaas_created_at is None
    assert professional.asaas_updated_at is None
    assert recent(professional.created_at)
    assert recent(professional.updated_at)
    assert professional.user == user


def test_staff_creates_a_professional_without_server_fields(world: World) -> None:
    body = {
        "preferred_name": "Dra. Nova",
        "profession": "Psicóloga",
        "address": "Rua Nova, 1",
        "contact": "nova@example.com",
        **professional_bogus(world),
    }

    response = world.client("staff").post("/api/professionals/", body, format="json")

    assert response.status_code == 201, response.data
    created = Professional.objects.get(pk=response.json()["id"])
    assert_professional_server_fields(created, user=None)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_updating_a_professional_ignores_server_fields(world: World, role: str) -> None:
    body = {**professional_bogus(world), "profession": "Terapeuta Ocupacional"}
    if role == "prof_a":
        body |= {"split_percentage": "1.00", "asaas_wallet_id": str(uuid.uuid4())}
    before = Professional.objects.get(pk=world.prof_a.pk)

    response = world.client(role).patch(f"/api/professionals/{before.pk}/", body, format="json")

    assert response.status_code == 200, response.data
    after = Professional.objects.get(pk=before.pk)
    assert after.profession == "Terapeuta Ocupacional"
    assert_professional_server_fields(after, user=world.user_a)
    assert after.created_at == before.created_at
    assert (after.split_percentage, after.asaas_wallet_id) == (
        before.split_percentage,
        before.asaas_wallet_id,
    )


# --- appointments ----------------------------------------------------------------------------

APPOINTMENT_BOGUS: dict[str, Any] = {
    "id": 777777,
    "end": LONG_AGO,
    "status": PaymentStatus.PAID,
    "platform_amount": "1.00",
    "professional_amount": "2.00",
    "refunded_amount": "3.00",
    "asaas_payment_id": "pay_bogus",
    "asaas_invoice_url": "https://evil.example.com/fatura",
    "paid_at": LONG_AGO,
    "payment_attempts": 99,
    "last_payment_error": "bogus",
    "created_at": LONG_AGO,
    "updated_at": LONG_AGO,
    "professional_data": {"id": 1, "preferred_name": "Outro", "profession": "Outro"},
}


def assert_unbilled(appointment: Appointment) -> None:
    assert appointment.pk != 777777
    assert appointment.status == PaymentStatus.NOT_BILLED
    assert appointment.end == appointment.date + dt.timedelta(minutes=appointment.duration_minutes)
    assert appointment.platform_amount is None
    assert appointment.professional_amount is None
    assert appointment.refunded_amount == Decimal("0.00")
    assert appointment.asaas_payment_id is None
    assert appointment.asaas_invoice_url == ""
    assert appointment.paid_at is None
    assert appointment.payment_attempts == 0
    assert appointment.last_payment_error == ""
    assert recent(appointment.created_at)
    assert recent(appointment.updated_at)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_creating_an_appointment_ignores_server_fields(world: World, role: str) -> None:
    body = {
        **APPOINTMENT_BOGUS,
        "date": FAR_SLOT.isoformat(),
        "professional": world.prof_a.pk,
        "patient": world.patient_a.pk,
    }

    response = world.client(role).post("/api/appointments/", body, format="json")

    assert response.status_code == 201, response.data
    created = Appointment.objects.get(pk=response.json()["id"])
    assert created.professional == world.prof_a
    assert_unbilled(created)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_updating_an_appointment_ignores_server_fields(world: World, role: str) -> None:
    path = f"/api/appointments/{world.appt_a.pk}/"

    response = world.client(role).patch(
        path, {**APPOINTMENT_BOGUS, "duration_minutes": 50}, format="json"
    )

    assert response.status_code == 200, response.data
    after = Appointment.objects.get(pk=world.appt_a.pk)
    assert after.duration_minutes == 50
    assert_unbilled(after)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_a_billed_appointment_takes_no_amounts_from_the_client(world: World, role: str) -> None:
    """Billed: PENDING, and the split amounts stay empty until the charge task computes them."""
    Professional.objects.filter(pk=world.prof_a.pk).update(
        integration_status=IntegrationStatus.ACTIVE,
        asaas_wallet_id=str(uuid.uuid4()),
        split_percentage=Decimal("80.00"),
    )
    body = {
        **APPOINTMENT_BOGUS,
        "date": FAR_SLOT.isoformat(),
        "professional": world.prof_a.pk,
        "patient": world.patient_a.pk,
        "total_amount": "200.00",
    }

    response = world.client(role).post("/api/appointments/", body, format="json")

    assert response.status_code == 201, response.data
    created = Appointment.objects.get(pk=response.json()["id"])
    assert created.status == PaymentStatus.PENDING
    assert created.total_amount == Decimal("200.00")
    assert created.professional_amount is None
    assert created.platform_amount is None
    assert created.refunded_amount == Decimal("0.00")
    assert created.asaas_payment_id is None
    assert created.paid_at is None
    assert created.payment_attempts == 0


# --- patients ------------------------------------------------------------------------------


def patient_bogus(world: World) -> dict[str, Any]:
    return {
        "id": 777777,
        "asaas_customer_id": "cus_bogus",
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "created_by": world.plain.pk,
    }


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_creating_a_patient_ignores_server_fields(world: World, role: str) -> None:
    body = {"name": "Paciente Novo", "cpf": new_cpf(), **patient_bogus(world)}

    response = world.client(role).post("/api/patients/", body, format="json")

    assert response.status_code == 201, response.data
    created = Patient.objects.get(pk=response.json()["id"])
    assert created.pk != 777777
    assert created.asaas_customer_id == ""
    assert recent(created.created_at)
    assert recent(created.updated_at)
    assert created.created_by == world.user(role)


@pytest.mark.parametrize("role", ["staff", "prof_a"])
def test_updating_a_patient_ignores_server_fields(world: World, role: str) -> None:
    Patient.objects.filter(pk=world.patient_a.pk).update(asaas_customer_id="cus_real")
    before = Patient.objects.get(pk=world.patient_a.pk)

    response = world.client(role).patch(
        f"/api/patients/{before.pk}/",
        {**patient_bogus(world), "phone": "11955554444"},
        format="json",
    )

    assert response.status_code == 200, response.data
    after = Patient.objects.get(pk=before.pk)
    assert after.phone == "11955554444"
    assert after.asaas_customer_id == "cus_real"
    assert after.created_at == before.created_at
    assert recent(after.updated_at)
    assert after.created_by is None  # set only on creation, by the server
