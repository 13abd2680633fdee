"""The product's handling of what Asaas does after a charge exists, end to end against the
emulator: overdue by date, card refund in progress, chargebacks won and lost, split settlement
and cancellation. Webhook bodies are the emulator's own, delivered to our real endpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, PaymentStatus
from payments.models import (
    Charge,
    ChargeStatus,
    PaymentTransaction,
    TransactionType,
    WebhookEvent,
    WebhookOutcome,
)
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.services.webhooks import webhook_event_process
from payments.tasks import sync_stale_charges_task

from .conftest import ChargeWorld, EmulatorControl

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("asaas_settings")]

TOKEN = "lifecycle-webhook-token-0123456789abcdef"
CARD = {
    "creditCard": {
        "holderName": "Titular Teste",
        "number": "4444444444444448",
        "expiryMonth": "12",
        "expiryYear": "2035",
        "ccv": "123",
    },
    "creditCardHolderInfo": {
        "name": "Titular Teste",
        "email": "titular@example.com",
        "cpfCnpj": "24971563792",
        "postalCode": "89223005",
        "addressNumber": "277",
        "phone": "4738010919",
    },
}


class Asaas:
    """The emulator, and our webhook endpoint receiving what it sends."""

    def __init__(self, control: EmulatorControl, asaas: AsaasService, client: APIClient) -> None:
        self.control, self.asaas, self.client = control, asaas, client
        self.delivered: set[str] = set()

    def call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.control.session.post(self.control._url(path), json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def v3(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        server = self.control.server
        response = self.control.session.post(
            f"{server.url}/v3/{path}",
            json=body,
            headers={"access_token": server.api_key},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def deliver(self) -> list[str]:
        """POST every new event to our endpoint; finish deferred ones as the task would."""
        names = []
        for event in self.control.webhook_events(wait_idle=0):
            if event["id"] in self.delivered:
                continue
            self.delivered.add(event["id"])
            names.append(event["event"])
            response = self.client.post(
                "/api/payments/webhooks/asaas/",
                event["payload"],
                format="json",
                HTTP_ASAAS_ACCESS_TOKEN=TOKEN,
            )
            assert response.status_code == 200, response.content
        for pending in WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED):
            webhook_event_process(event_id=pending.pk, asaas=self.asaas)
        return names


@pytest.fixture
def world(
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    settings: Any,
) -> Asaas:
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN
    return Asaas(emulator_control, asaas, APIClient())


def charge(world: Asaas, billed: ChargeWorld) -> Appointment:
    outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=world.asaas)
    assert outcome.status == PaymentStatus.PROCESSING
    return Appointment.objects.get(pk=billed.appointment.pk)


def paid(world: Asaas, billed: ChargeWorld) -> tuple[Appointment, str]:
    appointment = charge(world, billed)
    payment_id = appointment.asaas_payment_id
    assert payment_id
    world.asaas.sandbox_payment_confirm(payment_id)
    world.deliver()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID
    return appointment, payment_id


def the_charge(appointment: Appointment) -> Charge:
    return Charge.objects.get(appointment=appointment)


def test_a_charge_becomes_overdue_by_date(world: Asaas, billed: ChargeWorld) -> None:
    appointment = charge(world, billed)
    world.deliver()

    answer = world.call("clock/advance", {"days": 120})

    assert "PAYMENT_OVERDUE" in answer["events"]
    assert "PAYMENT_OVERDUE" in world.deliver()
    assert the_charge(appointment).asaas_status == "OVERDUE"
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"PROCESSED"}


def test_a_pix_split_settles_and_a_refund_before_settlement_cancels_it(
    world: Asaas, billed: ChargeWorld, staff_client: APIClient, make_billed_appointment: Any
) -> None:
    settled, _payment_id = paid(world, billed)
    world.call("clock/advance", {"minutes": 5})
    assert "PAYMENT_SPLIT_DONE" in world.deliver()
    assert the_charge(settled).split_status == "DONE"

    other = make_billed_appointment(professional=billed.professional, patient=billed.patient)
    world2 = ChargeWorld(billed.professional, billed.patient, other)
    refunded, _payment = paid(world, world2)
    response = staff_client.post(f"/api/appointments/{refunded.pk}/refund/", {}, format="json")
    assert response.status_code == 200, response.content

    assert world.deliver() == ["PAYMENT_REFUNDED", "PAYMENT_SPLIT_CANCELLED"]
    charge_row = the_charge(refunded)
    assert (charge_row.status, charge_row.split_status) == (ChargeStatus.REFUNDED, "CANCELLED")
    assert charge_row.refunded_amount == Decimal("100.00")


def test_a_card_refund_goes_through_refund_in_progress(
    world: Asaas, billed: ChargeWorld, staff_client: APIClient
) -> None:
    Appointment.objects.filter(pk=billed.appointment.pk).update(payment_method="CREDIT_CARD")
    appointment = charge(world, billed)
    payment_id = appointment.asaas_payment_id
    assert payment_id
    world.v3(f"payments/{payment_id}/payWithCreditCard", CARD)
    assert "PAYMENT_CONFIRMED" in world.deliver()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID

    response = staff_client.post(f"/api/appointments/{appointment.pk}/refund/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PaymentStatus.PAID  # not refunded yet
    assert world.deliver() == ["PAYMENT_REFUND_IN_PROGRESS"]
    assert the_charge(appointment).asaas_status == "REFUND_IN_PROGRESS"

    world.call("clock/advance", {"days": 40})  # the credit date passes
    assert "PAYMENT_REFUNDED" in world.deliver()
    charge_row = the_charge(appointment)
    assert (charge_row.status, charge_row.refunded_amount) == (
        ChargeStatus.REFUNDED,
        Decimal("100.00"),
    )
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.REFUNDED


def test_a_chargeback_won_returns_the_payment(world: Asaas, billed: ChargeWorld) -> None:
    appointment, payment_id = paid(world, billed)

    world.call(f"payments/{payment_id}/chargeback")
    world.deliver()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.CHARGEBACK
    world.call(f"payments/{payment_id}/chargeback/dispute")
    world.call(f"payments/{payment_id}/chargeback/resolve", {"result": "WON"})
    world.call(f"payments/{payment_id}/chargeback/reversal")
    world.deliver()

    charge_row = the_charge(appointment)
    assert (charge_row.status, charge_row.chargeback_status) == (ChargeStatus.PAID, "REVERSED")
    assert charge_row.refunded_amount == Decimal("0.00")
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID


def test_a_chargeback_lost_is_found_by_the_sync(world: Asaas, billed: ChargeWorld) -> None:
    appointment, payment_id = paid(world, billed)
    world.call(f"payments/{payment_id}/chargeback")
    world.call(f"payments/{payment_id}/chargeback/dispute")
    world.deliver()
    assert the_charge(appointment).status == ChargeStatus.CHARGEBACK

    world.call(f"payments/{payment_id}/chargeback/resolve", {"result": "LOST"})
    assert world.deliver() == []  # Asaas sends nothing when a dispute is lost
    assert sync_stale_charges_task() == 1

    charge_row = the_charge(appointment)
    assert (charge_row.status, charge_row.refunded_amount) == (
        ChargeStatus.REFUNDED,
        Decimal("100.00"),
    )
    assert PaymentTransaction.objects.filter(
        appointment=appointment,
        transaction_type=TransactionType.CHARGEBACK,
        amount=Decimal("100.00"),
    ).exists()
