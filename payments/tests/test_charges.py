"""The charge service against the real emulator: one charge per appointment, whatever happens."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from appointments.models import Appointment, Patient, PaymentMethod, PaymentStatus
from payments.emulator import EmulatorServer
from payments.models import PaymentTransaction, TransactionStatus, TransactionType
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.services.customers import patient_customer_ensure
from professionals.models import Professional

from .conftest import ChargeWorld, EmulatorControl, build_asaas

pytestmark = pytest.mark.django_db


def _transactions(appointment: Appointment, kind: str) -> list[PaymentTransaction]:
    return list(
        PaymentTransaction.objects.filter(appointment=appointment, transaction_type=kind).order_by(
            "id"
        )
    )


def test_creates_one_charge_for_the_patient_with_the_professional_split(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    appointment = billed.appointment
    assert appointment.status == PaymentStatus.PENDING

    outcome = charge_submit(appointment_id=appointment.pk, asaas=asaas)

    assert outcome.status == PaymentStatus.PROCESSING
    assert outcome.retry_in is None
    appointment.refresh_from_db()
    billed.patient.refresh_from_db()
    payments = emulator_control.payments()
    assert len(payments) == 1
    charge = payments[0]
    assert billed.patient.asaas_customer_id.startswith("cus_")
    assert charge["customer"] == billed.patient.asaas_customer_id
    assert charge["externalReference"] == f"appointment-{appointment.pk}"
    assert Decimal(str(charge["value"])) == Decimal("100.00")
    assert charge["billingType"] == PaymentMethod.PIX
    assert [(s["walletId"], Decimal(str(s["fixedValue"]))) for s in charge["split"]] == [
        (billed.professional.asaas_wallet_id, Decimal("85.00"))
    ]
    assert appointment.status == PaymentStatus.PROCESSING
    assert appointment.asaas_payment_id == charge["id"]
    assert appointment.asaas_invoice_url == charge["invoiceUrl"]
    assert (appointment.platform_amount, appointment.professional_amount) == (
        Decimal("15.00"),
        Decimal("85.00"),
    )
    assert appointment.payment_attempts == 1
    assert appointment.last_payment_error == ""
    [charge_tx] = _transactions(appointment, TransactionType.CHARGE)
    [split_tx] = _transactions(appointment, TransactionType.SPLIT)
    assert charge_tx.status == split_tx.status == TransactionStatus.SUCCESS
    assert charge_tx.amount == Decimal("100.00")
    assert split_tx.amount == Decimal("85.00")
    assert charge_tx.asaas_payment_id == split_tx.asaas_payment_id == charge["id"]


def test_running_twice_makes_no_second_charge(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    again = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)

    assert again.status == PaymentStatus.PROCESSING
    assert len(emulator_control.payments()) == 1
    assert len(_transactions(billed.appointment, TransactionType.CHARGE)) == 1
    billed.appointment.refresh_from_db()
    assert billed.appointment.payment_attempts == 1


def test_second_appointment_of_the_patient_reuses_the_customer(
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    make_billed_appointment: Callable[..., Appointment],
) -> None:
    second = make_billed_appointment(
        professional=billed.professional, patient=billed.patient, total="50.00"
    )

    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    charge_submit(appointment_id=second.pk, asaas=asaas)

    state = emulator_control.state()
    assert state["counts"]["customers"] == 1
    assert {p["customer"] for p in state["payments"]} == {
        Patient.objects.get(pk=billed.patient.pk).asaas_customer_id
    }
    assert sorted(p["externalReference"] for p in state["payments"]) == sorted(
        [f"appointment-{billed.appointment.pk}", f"appointment-{second.pk}"]
    )


def test_server_errors_are_retryable_then_recovery_makes_exactly_one_charge(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    emulator_control.faults(error_rate=1.0)

    outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)

    assert outcome.retry_in is not None
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.status == PaymentStatus.PENDING
    assert appointment.payment_attempts == 1
    assert appointment.last_payment_error != ""
    assert appointment.asaas_payment_id is None
    [failed] = _transactions(appointment, TransactionType.CHARGE)
    assert failed.status == TransactionStatus.FAILED
    assert emulator_control.payments() == []

    emulator_control.faults(error_rate=0.0)  # the outage is over

    recovered = charge_submit(appointment_id=appointment.pk, asaas=asaas)

    assert recovered.status == PaymentStatus.PROCESSING
    assert recovered.retry_in is None
    appointment.refresh_from_db()
    assert appointment.payment_attempts == 2
    assert appointment.last_payment_error == ""
    [charge] = emulator_control.payments()
    assert appointment.asaas_payment_id == charge["id"]


def test_hang_after_create_times_out_then_the_retry_adopts_the_charge(
    billed: ChargeWorld, emulator: EmulatorServer, emulator_control: EmulatorControl
) -> None:
    impatient = build_asaas(emulator, timeout=(1, 0.5))
    patient_customer_ensure(patient_id=billed.patient.pk, asaas=impatient)
    emulator_control.faults(hang_after_create_seconds=2)

    first = charge_submit(appointment_id=billed.appointment.pk, asaas=impatient)

    assert first.retry_in is not None, "the POST should have timed out"
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.status == PaymentStatus.PENDING
    assert appointment.asaas_payment_id is None
    [created_anyway] = emulator_control.payments()  # Asaas committed before hanging

    second = charge_submit(appointment_id=appointment.pk, asaas=impatient)

    assert second.status == PaymentStatus.PROCESSING
    appointment.refresh_from_db()
    assert appointment.asaas_payment_id == created_anyway["id"]
    assert appointment.payment_attempts == 2
    assert len(emulator_control.payments()) == 1
    impatient.close()


def test_hang_while_creating_the_customer_still_gives_one_customer_and_one_charge(
    billed: ChargeWorld, emulator: EmulatorServer, emulator_control: EmulatorControl
) -> None:
    impatient = build_asaas(emulator, timeout=(1, 0.3))
    emulator_control.faults(hang_after_create_seconds=1)
    statuses = []
    for _attempt in range(4):
        outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=impatient)
        statuses.append(outcome.status)
        if outcome.status == PaymentStatus.PROCESSING:
            break

    assert statuses[-1] == PaymentStatus.PROCESSING
    assert statuses[0] == PaymentStatus.PENDING  # the first try timed out
    state = emulator_control.state()
    assert state["counts"]["customers"] == 1
    assert state["counts"]["payments"] == 1
    impatient.close()


def test_a_validation_error_from_asaas_fails_the_charge_without_retry(
    make_professional: Callable[..., Professional],
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    # A well-formed wallet id that no account at the emulator owns: Asaas answers 400.
    stranger = make_professional(asaas_wallet_id="0b0b0b0b-1111-4222-8333-444455556666")
    appointment = make_billed_appointment(professional=stranger, patient=patient)

    outcome = charge_submit(appointment_id=appointment.pk, asaas=asaas)

    assert outcome.status == PaymentStatus.FAILED
    assert outcome.retry_in is None
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.FAILED
    assert appointment.payment_attempts == 1
    assert "0b0b0b0b-1111-4222-8333-444455556666" in appointment.last_payment_error
    assert emulator_control.payments() == []
    [failed] = _transactions(appointment, TransactionType.CHARGE)
    assert failed.status == TransactionStatus.FAILED
    assert failed.error_message == appointment.last_payment_error
    # A FAILED charge is final: running again does nothing.
    assert charge_submit(appointment_id=appointment.pk, asaas=asaas).status == (
        PaymentStatus.FAILED
    )
    assert Appointment.objects.get(pk=appointment.pk).payment_attempts == 1


def test_an_invalid_patient_cpf_fails_the_charge_with_the_message(
    make_professional: Callable[..., Professional],
    make_patient: Callable[..., Patient],
    make_billed_appointment: Callable[..., Appointment],
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    # Model validators do not run on objects.create(): a bad CPF reaches Asaas.
    bad = make_patient(cpf="12345678900")
    appointment = make_billed_appointment(professional=make_professional(), patient=bad)

    outcome = charge_submit(appointment_id=appointment.pk, asaas=asaas)

    assert (outcome.status, outcome.retry_in) == (PaymentStatus.FAILED, None)
    appointment.refresh_from_db()
    assert "cpf" in appointment.last_payment_error.lower()
    assert emulator_control.state()["counts"]["customers"] == 0


def test_too_many_retryable_failures_fail_the_charge(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl, settings
) -> None:
    settings.PAYMENT_MAX_ATTEMPTS = 3
    emulator_control.faults(error_rate=1.0)

    outcomes = [
        charge_submit(appointment_id=billed.appointment.pk, asaas=asaas) for _attempt in range(4)
    ]

    assert [o.status for o in outcomes] == [
        PaymentStatus.PENDING,
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
        PaymentStatus.FAILED,
    ]
    assert [o.retry_in is not None for o in outcomes] == [True, True, False, False]
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.payment_attempts == 3
    assert appointment.last_payment_error


def test_adopting_a_charge_already_paid_at_asaas_moves_it_to_paid(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    """A charge made (and paid) during a lost response is adopted in its current state."""
    customer = patient_customer_ensure(patient_id=billed.patient.pk, asaas=asaas)
    assert customer is not None
    assert billed.appointment.due_date is not None
    made = asaas.payment_create(
        customer=customer,
        billing_type="PIX",
        value=Decimal("100.00"),
        due_date=billed.appointment.due_date,
        external_reference=f"appointment-{billed.appointment.pk}",
        split=[],
    )
    asaas.sandbox_payment_confirm(made.id)

    outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)

    assert outcome.status == PaymentStatus.PAID
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id == made.id
    assert appointment.paid_at is not None
    assert len(emulator_control.payments()) == 1
