"""The state reached does not depend on the order in which Asaas's events arrive.

A real lifecycle is played at the emulator (created, received, a partial refund, the refund of
the rest); its webhook bodies are then delivered to our processor in every order, some twice.
Whatever the order, the charge ends as Asaas says: REFUNDED, R$ 100.00 refunded, with refund
ledger rows adding up to it, and every event PROCESSED (none ignored forever).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

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
from payments.services.state import charge_lock, charge_transition
from payments.services.webhooks import webhook_event_process, webhook_event_store

from .conftest import ChargeWorld, EmulatorControl

pytestmark = pytest.mark.django_db

LIFECYCLE = (
    "PAYMENT_CREATED",
    "PAYMENT_RECEIVED",
    "PAYMENT_PARTIALLY_REFUNDED",
    "PAYMENT_REFUNDED",
)
ORDERS = list(itertools.permutations(range(len(LIFECYCLE))))


def play_lifecycle(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> tuple[Appointment, list[dict[str, Any]]]:
    outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    assert outcome.status == PaymentStatus.PROCESSING
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    asaas.payment_refund(appointment.asaas_payment_id, value=Decimal("30.00"))
    asaas.payment_refund(appointment.asaas_payment_id, value=Decimal("70.00"))
    events = [  # the emulator also sends PAYMENT_SPLIT_CANCELLED (split refunded before credit)
        e
        for e in emulator_control.webhook_events(wait_idle=0)
        if not e["event"].startswith("PAYMENT_SPLIT_")
    ]
    assert [e["event"] for e in events] == list(LIFECYCLE)
    return appointment, [e["payload"] for e in events]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(map(str, o)))
def test_every_order_of_a_lifecycle_converges_to_asaas(
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    order: tuple[int, ...],
) -> None:
    appointment, payloads = play_lifecycle(billed, asaas, emulator_control)
    deliveries = [payloads[i] for i in order] + [payloads[order[0]]]  # and one redelivered

    for payload in deliveries:
        event, _created = webhook_event_store(payload=payload)
        webhook_event_process(event_id=event.pk, asaas=asaas)

    charge = Charge.objects.get(appointment=appointment)
    assert (charge.status, charge.refunded_amount) == (ChargeStatus.REFUNDED, Decimal("100.00"))
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.REFUNDED
    assert appointment.refunded_amount == Decimal("100.00")
    refunds = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.REFUND
    ).values_list("amount", flat=True)
    assert sum((r or Decimal(0) for r in refunds), Decimal("0.00")) == Decimal("100.00")
    outcomes = set(WebhookEvent.objects.values_list("outcome", flat=True))
    assert outcomes == {WebhookOutcome.PROCESSED}


def test_a_refund_before_the_payment_event_is_not_lost(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    """The measured bug: a refund that arrived first was stored IGNORED and never revisited."""
    appointment, payloads = play_lifecycle(billed, asaas, emulator_control)
    refunded = payloads[3]

    event, _created = webhook_event_store(payload=refunded)
    outcome = webhook_event_process(event_id=event.pk, asaas=asaas)

    assert outcome == WebhookOutcome.PROCESSED
    event.refresh_from_db()
    assert "Asaas" in event.error  # converged through a re-read
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.REFUNDED


def test_an_event_is_deferred_by_the_request_and_finished_by_the_task(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    appointment, payloads = play_lifecycle(billed, asaas, emulator_control)
    event, _created = webhook_event_store(payload=payloads[3])

    assert webhook_event_process(event_id=event.pk, wait=False) == "DEFERRED"
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    assert webhook_event_process(event_id=event.pk, asaas=asaas) == WebhookOutcome.PROCESSED


def test_a_chargeback_won_then_stale_events_stay_with_asaas(
    billed: ChargeWorld, asaas: AsaasService
) -> None:
    """A backwards move seen through a re-read makes every later event of the charge re-read."""
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    payment_id = appointment.asaas_payment_id
    assert payment_id
    asaas.sandbox_payment_confirm(payment_id)
    stale_chargeback = {
        "id": "evt_stale_chargeback",
        "event": "PAYMENT_CHARGEBACK_REQUESTED",
        "payment": {"id": payment_id, "status": "CHARGEBACK_REQUESTED", "value": "100.00"},
    }
    from django.db import transaction

    from payments.services import transitions as t
    from payments.services.charges import asaas_payment_snapshot

    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment.pk)
        assert locked is not None
        charge = locked[1]
        charge.status, charge.chargeback_status = ChargeStatus.CHARGEBACK, "REQUESTED"
        charge.save()
        # Asaas now says RECEIVED again (the chargeback was reversed): SYNCED goes backwards.
        charge_transition(
            appointment=locked[0],
            charge=charge,
            trigger=t.SYNCED,
            payment=asaas_payment_snapshot(asaas=asaas, payment_id=payment_id),
            refunds_known=True,
            read_version=charge.version,
        )
    charge.refresh_from_db()
    assert charge.reread_only
    assert charge.status == ChargeStatus.PAID

    event, _created = webhook_event_store(payload=stale_chargeback)
    assert webhook_event_process(event_id=event.pk, asaas=asaas) == WebhookOutcome.PROCESSED
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID  # Asaas's truth, not the stale event


class _RefundDuringTheRead:
    """An Asaas client whose first refunds read is followed, before it returns, by a full refund
    at Asaas whose webhook is applied here: the re-read it belongs to is then stale."""

    def __init__(self, inner: AsaasService, emulator_control: EmulatorControl) -> None:
        self.inner, self.control, self.reads, self.raced = inner, emulator_control, 0, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def payment_get(self, payment_id: str) -> Any:
        self.reads += 1
        return self.inner.payment_get(payment_id)

    def payment_refunds(self, payment_id: str) -> Any:
        result = self.inner.payment_refunds(payment_id)
        if not self.raced:
            self.raced = True
            self.inner.payment_refund(payment_id, value=None)
            (refunded,) = [
                e["payload"]
                for e in self.control.webhook_events(wait_idle=0)
                if e["event"] == "PAYMENT_REFUNDED"
            ]
            event, _created = webhook_event_store(payload=refunded)
            assert webhook_event_process(event_id=event.pk, asaas=self.inner) == "PROCESSED"
            assert Charge.objects.get(asaas_payment_id=payment_id).status == ChargeStatus.REFUNDED
        return result


def test_a_re_read_overtaken_by_a_newer_event_reads_again(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    """The race behind the last wrong status of the fault campaign: a re-read's answer (PAID)
    was applied after a newer event (REFUNDED) and moved the charge back, for good."""
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    created, received = (e["payload"] for e in emulator_control.webhook_events(wait_idle=0))
    for payload in (created, received):
        event, _created = webhook_event_store(payload=payload)
        webhook_event_process(event_id=event.pk, asaas=asaas)
    assert Charge.objects.get(appointment=appointment).status == ChargeStatus.PAID
    # A late copy of PAYMENT_CREATED (another event id) is not a next step: it is re-read.
    late, _created = webhook_event_store(payload={**created, "id": "evt_late_created"})
    racing = _RefundDuringTheRead(asaas, emulator_control)

    outcome = webhook_event_process(event_id=late.pk, asaas=racing)  # type: ignore[arg-type]

    assert outcome == WebhookOutcome.PROCESSED
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.status, charge.refunded_amount) == (ChargeStatus.REFUNDED, Decimal("100.00"))
    assert racing.reads == 2  # the first answer went stale under it: read again
    appointment.refresh_from_db()
    assert (appointment.status, appointment.refunded_amount) == (
        PaymentStatus.REFUNDED,
        Decimal("100.00"),
    )


def test_a_snapshot_read_before_a_step_is_refused(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    from django.db import transaction

    from payments.services.charges import charge_snapshot_read
    from payments.services.state import StaleSnapshot, charge_apply_asaas_state

    appointment, payloads = play_lifecycle(billed, asaas, emulator_control)
    for payload in payloads[:2]:
        event, _created = webhook_event_store(payload=payload)
        webhook_event_process(event_id=event.pk, asaas=asaas)
    assert appointment.asaas_payment_id
    snapshot = charge_snapshot_read(
        appointment_id=appointment.pk, payment_id=appointment.asaas_payment_id, asaas=asaas
    )
    event, _created = webhook_event_store(payload=payloads[2])  # partially refunded: a step
    webhook_event_process(event_id=event.pk, asaas=asaas)

    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment.pk)
        assert locked is not None
        with pytest.raises(StaleSnapshot):
            charge_apply_asaas_state(appointment=locked[0], charge=locked[1], snapshot=snapshot)
        with pytest.raises(ValueError, match="version"):
            charge_transition(
                appointment=locked[0],
                charge=locked[1],
                trigger="SYNCED",
                payment=snapshot.payment,
            )
