"""Cancel, refund and sync through the API, against the real emulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, PaymentStatus
from payments.models import PaymentTransaction, TransactionStatus, TransactionType
from payments.services import charge_actions
from payments.services.asaas_service import AsaasService
from payments.services.charge_actions import charge_cancel
from payments.services.charges import charge_submit
from payments.services.state import StaleSnapshot
from payments.services.webhooks import webhook_event_process, webhook_event_store

from .conftest import ChargeWorld, EmulatorControl, charged, paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("asaas_settings")]


def url(appointment_id: int, action: str) -> str:
    return f"/api/appointments/{appointment_id}/{action}/"


def tx_types(appointment: Appointment) -> list[str]:
    return list(
        PaymentTransaction.objects.filter(appointment=appointment, status=TransactionStatus.SUCCESS)
        .order_by("id")
        .values_list("transaction_type", flat=True)
    )


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_a_processing_charge_deletes_it_at_asaas_and_frees_the_slot(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = charged(billed, asaas)

    response = staff_client.post(url(appointment.pk, "cancel_payment"))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == PaymentStatus.CANCELED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.CANCELED
    [deleted] = emulator_control.payments(include_deleted=True)
    assert deleted["id"] == appointment.asaas_payment_id
    assert deleted["deleted"] is True
    assert emulator_control.payments() == []
    assert tx_types(appointment)[-1] == TransactionType.CANCELLATION

    rebook = staff_client.post(
        "/api/appointments/",
        {
            "date": appointment.date.isoformat(),
            "professional": billed.professional.pk,
            "patient": billed.patient.pk,
            "total_amount": "100.00",
        },
        format="json",
    )
    assert rebook.status_code == 201, rebook.content
    assert rebook.json()["status"] == PaymentStatus.PENDING


class _WebhookFirst:
    """The Asaas service whose DELETE, before it returns, is followed by Asaas's
    ``PAYMENT_DELETED`` webhook, stored and processed: the webhook wins the race against the
    cancel request's own update (what a fast webhook and a slow request do)."""

    def __init__(self, asaas: AsaasService) -> None:
        self.asaas = asaas

    def __getattr__(self, name: str) -> Any:
        return getattr(self.asaas, name)

    def payment_delete(self, id: str) -> Any:
        deleted = self.asaas.payment_delete(id)
        payment = self.asaas.payment_get(id)
        payload = {"id": f"evt_race_{id}", "event": "PAYMENT_DELETED", "payment": dict(payment.raw)}
        event, _created = webhook_event_store(payload=payload)
        assert webhook_event_process(event_id=event.pk, asaas=self.asaas) == "PROCESSED"
        return deleted


def test_cancel_records_its_deletion_when_the_webhook_cancelled_the_charge_first(
    billed: ChargeWorld, asaas: AsaasService
) -> None:
    appointment = charged(billed, asaas)

    status = charge_cancel(appointment_id=appointment.pk, asaas=_WebhookFirst(asaas))  # type: ignore[arg-type]

    assert status == PaymentStatus.CANCELED
    # Our DELETE succeeded: the ledger says so once, whichever side moved the status first.
    assert tx_types(appointment).count(TransactionType.CANCELLATION) == 1


def test_cancel_records_its_deletion_when_the_status_never_settles_under_it(
    billed: ChargeWorld, asaas: AsaasService, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = charged(billed, asaas)

    def always_stale(**kwargs: Any) -> Any:
        raise StaleSnapshot("the webhooks keep moving it")

    monkeypatch.setattr(charge_actions, "charge_snapshot_apply", always_stale)

    status = charge_cancel(appointment_id=appointment.pk, asaas=asaas)

    assert status == PaymentStatus.PROCESSING  # its webhook moves it: not this request
    assert tx_types(appointment).count(TransactionType.CANCELLATION) == 1


def test_cancel_a_pending_charge_never_sent_needs_no_asaas_call(
    staff_client: APIClient, billed: ChargeWorld, emulator_control: EmulatorControl
) -> None:
    emulator_control.faults(error_rate=1.0)  # any call would fail

    response = staff_client.post(url(billed.appointment.pk, "cancel_payment"))

    assert response.status_code == 200
    assert response.json()["status"] == PaymentStatus.CANCELED


def test_an_occupied_slot_cannot_be_booked_again(
    staff_client: APIClient, billed: ChargeWorld
) -> None:
    response = staff_client.post(
        "/api/appointments/",
        {"date": billed.appointment.date.isoformat(), "professional": billed.professional.pk},
        format="json",
    )

    assert response.status_code == 409


def test_cancel_on_paid_is_400_and_leaves_the_charge(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = paid(billed, asaas, staff_client)

    response = staff_client.post(url(appointment.pk, "cancel_payment"))

    assert response.status_code == 400
    assert "reembolso" in response.json()["non_field_errors"][0]
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID
    assert len(emulator_control.payments()) == 1


def test_cancel_on_not_billed_is_400(staff_client: APIClient, billed: ChargeWorld) -> None:
    Appointment.objects.filter(pk=billed.appointment.pk).update(
        status=PaymentStatus.NOT_BILLED, total_amount=None
    )

    response = staff_client.post(url(billed.appointment.pk, "cancel_payment"))

    assert response.status_code == 400
    assert response.json()["non_field_errors"]


# --- status and sync --------------------------------------------------------------------------


def test_payment_status_returns_the_local_state_without_calling_asaas(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = charged(billed, asaas)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    emulator_control.faults(error_rate=1.0)

    response = staff_client.get(url(appointment.pk, "payment_status"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == PaymentStatus.PROCESSING  # local state: not synced
    assert body["asaas_payment_id"] == appointment.asaas_payment_id
    assert body["total_amount"] == "100.00"
    assert body["platform_amount"] == "15.00"
    assert body["professional_amount"] == "85.00"
    assert {t["transaction_type"] for t in body["transactions"]} == {"CHARGE", "SPLIT"}


def test_refresh_syncs_from_asaas(
    staff_client: APIClient, billed: ChargeWorld, asaas: AsaasService
) -> None:
    appointment = charged(billed, asaas)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)

    response = staff_client.get(url(appointment.pk, "payment_status"), {"refresh": "true"})

    assert response.status_code == 200
    assert response.json()["status"] == PaymentStatus.PAID
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert appointment.paid_at is not None
    assert TransactionType.SYNC in tx_types(appointment)


def test_refresh_when_asaas_is_down_is_503(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    settings: Any,
) -> None:
    appointment = charged(billed, asaas)
    emulator_control.faults(error_rate=1.0)
    settings.ASAAS_TIMEOUT = 1

    response = staff_client.get(url(appointment.pk, "payment_status"), {"refresh": "1"})

    assert response.status_code == 503
    assert "detail" in response.json()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


@pytest.mark.parametrize("value", ["maybe", "yes", "2"])
def test_refresh_must_be_a_boolean(
    staff_client: APIClient, billed: ChargeWorld, value: str
) -> None:
    response = staff_client.get(url(billed.appointment.pk, "payment_status"), {"refresh": value})

    assert response.status_code == 400
    assert "refresh" in response.json()


# --- refund -----------------------------------------------------------------------------------


def test_full_refund(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = paid(billed, asaas, staff_client)

    response = staff_client.post(url(appointment.pk, "refund"), {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == PaymentStatus.REFUNDED
    assert body["refunded_amount"] == "100.00"
    refund = PaymentTransaction.objects.get(
        appointment=appointment, transaction_type=TransactionType.REFUND
    )
    assert refund.amount == Decimal("100.00")
    [charge] = emulator_control.payments()
    assert charge["status"] == "REFUNDED"


def test_partial_refunds_then_the_rest(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = paid(billed, asaas, staff_client)

    first = staff_client.post(
        url(appointment.pk, "refund"), {"amount": "30.00", "description": "parcial"}, "json"
    )

    assert first.status_code == 200, first.content
    assert first.json()["status"] == PaymentStatus.PAID
    assert first.json()["refunded_amount"] == "30.00"
    [charge] = emulator_control.payments()
    assert [Decimal(str(r["value"])) for r in charge["refunds"]] == [Decimal("30.00")]

    too_much = staff_client.post(url(appointment.pk, "refund"), {"amount": "70.01"}, "json")

    assert too_much.status_code == 400
    assert "amount" in too_much.json()
    assert Appointment.objects.get(pk=appointment.pk).refunded_amount == Decimal("30.00")

    rest = staff_client.post(url(appointment.pk, "refund"), {"amount": "70.00"}, "json")

    assert rest.status_code == 200, rest.content
    assert rest.json()["status"] == PaymentStatus.REFUNDED
    assert rest.json()["refunded_amount"] == "100.00"
    refunds = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.REFUND
    ).order_by("id")
    assert [r.amount for r in refunds] == [Decimal("30.00"), Decimal("70.00")]


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "100.001"])
def test_refund_amount_must_be_valid(
    staff_client: APIClient, billed: ChargeWorld, asaas: AsaasService, amount: str
) -> None:
    appointment = paid(billed, asaas, staff_client)

    response = staff_client.post(url(appointment.pk, "refund"), {"amount": amount}, "json")

    assert response.status_code == 400
    assert "amount" in response.json()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID


def test_refund_on_unpaid_is_400(
    staff_client: APIClient, billed: ChargeWorld, asaas: AsaasService
) -> None:
    appointment = charged(billed, asaas)

    response = staff_client.post(url(appointment.pk, "refund"), {}, format="json")

    assert response.status_code == 400
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    assert not PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.REFUND
    ).exists()


@pytest.mark.parametrize(
    ("method", "action"),
    [("post", "cancel_payment"), ("get", "payment_status"), ("post", "refund")],
)
def test_unknown_appointment_is_404(staff_client: APIClient, method: str, action: str) -> None:
    response = getattr(staff_client, method)(url(987654, action), format="json")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_staff_resubmit_a_failed_charge(
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    staff_client: APIClient,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PAYMENT_MAX_ATTEMPTS = 1
    emulator_control.faults(error_rate=1.0)
    assert charge_submit(appointment_id=billed.appointment.pk, asaas=asaas).status == (
        PaymentStatus.FAILED
    )
    emulator_control.faults(error_rate=0.0)
    settings.PAYMENT_MAX_ATTEMPTS = 5

    refused = staff_client.post(url(billed.appointment.pk, "refund"), format="json")
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(url(billed.appointment.pk, "resubmit_payment"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PaymentStatus.PENDING
    assert len(callbacks) == 1  # the charge task, after commit
    assert charge_submit(appointment_id=billed.appointment.pk, asaas=asaas).status == (
        PaymentStatus.PROCESSING
    )
    again = staff_client.post(url(billed.appointment.pk, "resubmit_payment"))
    assert again.status_code == 400
