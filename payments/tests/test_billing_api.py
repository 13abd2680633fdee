"""Billing rules of ``POST /api/appointments/`` and server-owned fields of the payment models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentMethod, PaymentStatus
from core.tests.factories import ProfessionalFactory
from payments.models import TransactionType
from payments.services.ledger import transaction_record
from professionals.models import IntegrationStatus, Professional

from .conftest import new_cpf, next_slot

pytestmark = pytest.mark.django_db

APPOINTMENTS = "/api/appointments/"


def create(client: APIClient, **body: Any) -> Any:
    body.setdefault("date", next_slot().isoformat())
    return client.post(APPOINTMENTS, body, format="json")


def test_an_appointment_without_amount_is_not_billed(
    staff_client: APIClient, chargeable_professional: Professional
) -> None:
    response = create(staff_client, professional=chargeable_professional.pk)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == PaymentStatus.NOT_BILLED
    assert body["total_amount"] is None
    assert body["payment_method"] == ""
    assert body["due_date"] is None
    assert Appointment.objects.get(pk=body["id"]).status == PaymentStatus.NOT_BILLED


def test_the_v1_contract_works_for_a_professional_without_payment_data(
    staff_client: APIClient,
) -> None:
    professional = ProfessionalFactory.create()  # PENDING, no wallet

    response = create(staff_client, professional=professional.pk)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == PaymentStatus.NOT_BILLED


def test_a_valid_billed_appointment_is_pending_with_defaults(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient
) -> None:
    start = next_slot()

    response = create(
        staff_client,
        date=start.isoformat(),
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="150.00",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == PaymentStatus.PENDING
    assert body["payment_method"] == PaymentMethod.PIX
    assert body["due_date"] == timezone.localtime(start).date().isoformat()
    assert body["total_amount"] == "150.00"
    assert body["asaas_payment_id"] is None
    assert body["patient"] == patient.pk


def test_explicit_method_and_due_date_are_kept(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient
) -> None:
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()

    response = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="10.00",
        payment_method="BOLETO",
        due_date=due,
    )

    assert response.status_code == 201, response.content
    assert (response.json()["payment_method"], response.json()["due_date"]) == ("BOLETO", due)


def test_an_amount_without_patient_is_400_naming_patient(
    staff_client: APIClient, chargeable_professional: Professional
) -> None:
    response = create(staff_client, professional=chargeable_professional.pk, total_amount="100")

    assert response.status_code == 400
    assert "patient" in response.json()
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    "status", [IntegrationStatus.PENDING, IntegrationStatus.ERROR, IntegrationStatus.SUSPENDED]
)
def test_a_professional_not_active_cannot_be_billed(
    staff_client: APIClient, patient: Patient, status: str
) -> None:
    professional = ProfessionalFactory.create(
        integration_status=status, asaas_wallet_id="6f1c9a1e-98b4-4b8a-9d1e-6f1c9a1e98b4"
    )

    response = create(
        staff_client, professional=professional.pk, patient=patient.pk, total_amount="100.00"
    )

    assert response.status_code == 400
    assert "professional" in response.json()
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "1000000.00", "12.345", "abc"])
def test_invalid_amounts_are_400(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient, amount: str
) -> None:
    response = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount=amount,
    )

    assert response.status_code == 400
    assert "total_amount" in response.json()
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize("amount", ["0.01", "9.99"])
def test_amounts_below_the_minimum_split_are_400(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient, amount: str
) -> None:
    response = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount=amount,
    )

    assert response.status_code == 400
    assert "total_amount" in response.json()
    assert "10.00" in response.json()["total_amount"][0]


def test_the_minimum_follows_the_setting(
    staff_client: APIClient,
    chargeable_professional: Professional,
    patient: Patient,
    settings: Any,
) -> None:
    settings.MINIMUM_SPLIT_AMOUNT = Decimal("50.00")

    low = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="49.99",
    )
    ok = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="50.00",
    )

    assert low.status_code == 400
    assert ok.status_code == 201


def test_a_due_date_in_the_past_is_400(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient
) -> None:
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    response = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="100.00",
        due_date=yesterday,
    )

    assert response.status_code == 400
    assert "due_date" in response.json()


# --- server-owned fields ----------------------------------------------------------------------

BOGUS_APPOINTMENT = {
    "status": PaymentStatus.PAID,
    "platform_amount": "1.00",
    "professional_amount": "99.00",
    "refunded_amount": "50.00",
    "asaas_payment_id": "pay_bogus_0001",
    "asaas_invoice_url": "https://evil.example.com/i/1",
    "paid_at": "2030-01-01T10:00:00-03:00",
    "payment_attempts": 42,
    "last_payment_error": "forged",
    "end": "2099-01-01T10:00:00-03:00",
    "created_at": "2000-01-01T00:00:00Z",
}


def _assert_appointment_not_forged(appointment: Appointment) -> None:
    assert appointment.status == PaymentStatus.PENDING
    assert appointment.platform_amount is None
    assert appointment.professional_amount is None
    assert appointment.refunded_amount == Decimal("0.00")
    assert appointment.asaas_payment_id is None
    assert appointment.asaas_invoice_url == ""
    assert appointment.paid_at is None
    assert appointment.payment_attempts == 0
    assert appointment.last_payment_error == ""
    assert appointment.end == appointment.date + dt.timedelta(minutes=30)
    assert appointment.created_at.year >= 2025


def test_appointment_server_fields_are_ignored_on_create_and_patch(
    staff_client: APIClient, chargeable_professional: Professional, patient: Patient
) -> None:
    response = create(
        staff_client,
        professional=chargeable_professional.pk,
        patient=patient.pk,
        total_amount="100.00",
        **BOGUS_APPOINTMENT,
    )

    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    _assert_appointment_not_forged(appointment)

    patched = staff_client.patch(
        f"{APPOINTMENTS}{appointment.pk}/", BOGUS_APPOINTMENT, format="json"
    )

    assert patched.status_code == 200, patched.content
    appointment.refresh_from_db()
    _assert_appointment_not_forged(appointment)


def test_professional_server_fields_are_ignored(staff_client: APIClient) -> None:
    response = staff_client.post(
        "/api/professionals/",
        {
            "preferred_name": "Dra. Forjada",
            "profession": "Psicóloga",
            "address": "Rua A, 1",
            "contact": "forjada@example.com",
            "integration_status": IntegrationStatus.ACTIVE,
            "integration_error": "forged",
            "asaas_account_id": "acc_bogus",
            "asaas_created_at": "2030-01-01T00:00:00Z",
            "asaas_updated_at": "2030-01-01T00:00:00Z",
            "id": 424242,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    professional = Professional.objects.get(pk=response.json()["id"])
    assert professional.pk != 424242
    assert professional.integration_status == IntegrationStatus.PENDING
    assert professional.integration_error == ""
    assert professional.asaas_account_id == ""
    assert professional.asaas_created_at is None
    assert professional.asaas_updated_at is None
    assert not professional.is_chargeable

    staff_client.patch(
        f"/api/professionals/{professional.pk}/",
        {"integration_status": IntegrationStatus.ACTIVE, "asaas_account_id": "acc_x"},
        format="json",
    )
    professional.refresh_from_db()
    assert professional.integration_status == IntegrationStatus.PENDING
    assert professional.asaas_account_id == ""


def test_patient_server_fields_are_ignored(staff_client: APIClient) -> None:
    response = staff_client.post(
        "/api/patients/",
        {
            "name": "Paciente Forjado",
            "cpf": new_cpf(),
            "asaas_customer_id": "cus_bogus",
            "id": 515151,
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.pk != 515151
    assert patient.asaas_customer_id == ""
    assert patient.created_at.year >= 2025

    staff_client.patch(
        f"/api/patients/{patient.pk}/", {"asaas_customer_id": "cus_x"}, format="json"
    )
    patient.refresh_from_db()
    assert patient.asaas_customer_id == ""


# --- after the charge exists ------------------------------------------------------------------


@pytest.fixture
def issued(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> Appointment:
    appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=PaymentStatus.PROCESSING,
        asaas_payment_id="pay_issued_0001",
        platform_amount=Decimal("15.00"),
        professional_amount=Decimal("85.00"),
    )
    appointment.refresh_from_db()
    transaction_record(
        appointment=appointment,
        transaction_type=TransactionType.CHARGE,
        succeeded=True,
        amount=appointment.total_amount,
    )
    return appointment


@pytest.mark.parametrize(
    ("field", "value"),
    [("total_amount", "200.00"), ("payment_method", "BOLETO"), ("due_date", "2099-01-01")],
)
def test_billing_inputs_are_frozen_once_the_charge_exists(
    staff_client: APIClient, issued: Appointment, field: str, value: str
) -> None:
    response = staff_client.patch(f"{APPOINTMENTS}{issued.pk}/", {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Appointment.objects.get(pk=issued.pk).total_amount == Decimal("100.00")


def test_a_pending_appointment_can_still_change_its_amount(
    staff_client: APIClient,
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)

    response = staff_client.patch(
        f"{APPOINTMENTS}{appointment.pk}/", {"total_amount": "120.00"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["total_amount"] == "120.00"
    assert response.json()["status"] == PaymentStatus.PENDING


def test_deleting_a_professional_with_payment_history_is_409(
    staff_client: APIClient, issued: Appointment
) -> None:
    response = staff_client.delete(f"/api/professionals/{issued.professional_id}/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert Professional.objects.filter(pk=issued.professional_id).exists()
    assert Appointment.objects.filter(pk=issued.pk).exists()


def test_deleting_a_patient_with_appointments_is_409(
    staff_client: APIClient, issued: Appointment
) -> None:
    assert issued.patient_id is not None
    response = staff_client.delete(f"/api/patients/{issued.patient_id}/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert Patient.objects.filter(pk=issued.patient_id).exists()


def test_deleting_an_appointment_with_payment_history_is_409(
    staff_client: APIClient, issued: Appointment
) -> None:
    response = staff_client.delete(f"{APPOINTMENTS}{issued.pk}/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert Appointment.objects.filter(pk=issued.pk).exists()
