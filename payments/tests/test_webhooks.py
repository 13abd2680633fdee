"""The Asaas webhook: authentication, storage first, the transition table, replay."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from payments.models import PaymentTransaction, TransactionType, WebhookEvent, WebhookOutcome
from payments.services.asaas_service import AsaasService
from payments.services.charges import appointment_charge_create
from payments.services.transitions import WEBHOOK_TRANSITIONS
from payments.services.webhooks import webhook_event_process, webhook_event_store
from professionals.models import Professional

from .conftest import PATIENT_EMAIL, PATIENT_NAME, ChargeWorld, EmulatorControl

pytestmark = pytest.mark.django_db

URL = "/api/payments/webhooks/asaas/"
TOKEN = "whk-token-for-tests-0123456789abcdef"


@pytest.fixture(autouse=True)
def _webhook_token(settings: Any) -> None:
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN


@pytest.fixture
def appointment(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> Appointment:
    return make_billed_appointment(professional=chargeable_professional, patient=patient)


def at_status(appointment: Appointment, status: str, payment_id: str | None = None) -> Appointment:
    """Put the appointment in ``status`` as if the charge had got there."""
    payment_id = payment_id or f"pay_{uuid.uuid4().hex[:12]}"
    Appointment.objects.filter(pk=appointment.pk).update(status=status, asaas_payment_id=payment_id)
    appointment.refresh_from_db()
    return appointment


def event_body(
    appointment: Appointment, event: str, *, event_id: str | None = None, **payment: Any
) -> dict[str, Any]:
    body_payment = {
        "object": "payment",
        "id": appointment.asaas_payment_id or f"pay_{uuid.uuid4().hex[:12]}",
        "value": str(appointment.total_amount),
        "externalReference": f"appointment-{appointment.pk}",
        "status": "PENDING",
    }
    body_payment.update(payment)
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "event": event,
        "dateCreated": "2030-01-01 10:00:00",
        "payment": body_payment,
    }


def post(
    client: APIClient, body: Any, *, token: str | None = TOKEN, raw: bytes | None = None
) -> Any:
    headers: dict[str, Any] = {} if token is None else {"HTTP_ASAAS_ACCESS_TOKEN": token}
    data: Any = raw if raw is not None else json.dumps(body)
    return client.generic("POST", URL, data=data, content_type="application/json", **headers)


# --- the transition table, row by row -------------------------------------------------------

TABLE_ROWS = [
    (event, source, target)
    for event, moves in WEBHOOK_TRANSITIONS.items()
    for source, target in moves.items()
]
ALL_STATUSES = [status.value for status in PaymentStatus]
NOT_IN_TABLE = [
    (event, status)
    for event, status in itertools.product(
        [*WEBHOOK_TRANSITIONS, "PAYMENT_UPDATED", "PAYMENT_OVERDUE", "SOMETHING_NEW"],
        ALL_STATUSES,
    )
    if status not in WEBHOOK_TRANSITIONS.get(event, {})
]


def test_the_table_has_the_documented_forward_moves() -> None:
    assert ("PAYMENT_CREATED", PaymentStatus.PENDING, PaymentStatus.PROCESSING) in TABLE_ROWS
    assert ("PAYMENT_RECEIVED", PaymentStatus.PROCESSING, PaymentStatus.PAID) in TABLE_ROWS
    assert ("PAYMENT_REFUNDED", PaymentStatus.PAID, PaymentStatus.REFUNDED) in TABLE_ROWS
    assert ("PAYMENT_CREATED", PaymentStatus.PAID) in NOT_IN_TABLE
    assert ("PAYMENT_DELETED", PaymentStatus.PAID) in NOT_IN_TABLE


@pytest.mark.parametrize(("event", "source", "target"), TABLE_ROWS)
def test_every_row_of_the_table_moves_the_status(
    api_client: APIClient, appointment: Appointment, event: str, source: str, target: str
) -> None:
    at_status(appointment, source)
    extra: dict[str, Any] = {}
    if event == "PAYMENT_PARTIALLY_REFUNDED":
        extra["refunds"] = [{"value": "30.00", "status": "DONE"}]

    response = post(api_client, event_body(appointment, event, **extra))

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == WebhookOutcome.PROCESSED
    appointment.refresh_from_db()
    assert appointment.status == target
    webhook_tx = PaymentTransaction.objects.get(
        appointment=appointment, transaction_type=TransactionType.WEBHOOK
    )
    assert webhook_tx.response_payload == {"event": event, "from": source, "to": target}
    if target == PaymentStatus.PAID:
        assert appointment.paid_at is not None
    if event == "PAYMENT_PARTIALLY_REFUNDED":
        assert appointment.refunded_amount == Decimal("30.00")
    if event == "PAYMENT_REFUNDED":
        assert appointment.refunded_amount == appointment.total_amount
        assert PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.REFUND
        ).exists()
    if event == "PAYMENT_CHARGEBACK_REQUESTED":
        assert PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.CHARGEBACK
        ).exists()


@pytest.mark.parametrize(("event", "status"), NOT_IN_TABLE)
def test_pairs_outside_the_table_are_ignored(
    appointment: Appointment, event: str, status: str
) -> None:
    at_status(appointment, status)
    before = Appointment.objects.values().get(pk=appointment.pk)
    stored, created = webhook_event_store(payload=event_body(appointment, event))
    assert created

    outcome = webhook_event_process(event_id=stored.pk)

    assert outcome == WebhookOutcome.IGNORED
    assert Appointment.objects.values().get(pk=appointment.pk) == before
    assert not PaymentTransaction.objects.filter(appointment=appointment).exists()
    stored.refresh_from_db()
    assert stored.outcome == WebhookOutcome.IGNORED
    assert stored.processed_at is not None


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "wrong-token",
        TOKEN[:-1],  # a prefix
        TOKEN + "0",  # one character longer
        TOKEN[:-1] + "X",  # same length, last character differs
        " " + TOKEN,
        "tökén-não-ascii",
    ],
)
def test_missing_or_wrong_token_is_401_and_nothing_is_stored(
    api_client: APIClient, appointment: Appointment, token: str | None
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)

    response = post(api_client, event_body(appointment, "PAYMENT_RECEIVED"), token=token)

    assert response.status_code == 401
    assert "detail" in response.json()
    assert WebhookEvent.objects.count() == 0
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


@pytest.mark.parametrize("token", ["", TOKEN, "anything"])
def test_with_no_token_configured_everything_is_refused(
    api_client: APIClient, appointment: Appointment, settings: Any, token: str
) -> None:
    settings.ASAAS_WEBHOOK_TOKEN = ""

    response = post(api_client, event_body(appointment, "PAYMENT_CREATED"), token=token)

    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_authentication_comes_before_parsing(api_client: APIClient) -> None:
    response = post(api_client, None, token="nope", raw=b"{not json")

    assert response.status_code == 401


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"id": "evt_1", "event": '])
def test_malformed_json_is_400(api_client: APIClient, raw: bytes) -> None:
    response = post(api_client, None, raw=raw)

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "PAYMENT_CREATED", "payment": {}}, "id"),
        ({"id": "", "event": "PAYMENT_CREATED"}, "id"),
        ({"id": 123, "event": "PAYMENT_CREATED"}, "id"),
        ({"id": "evt_no_type", "payment": {}}, "event"),
        ({"id": "evt_blank_type", "event": "  "}, "event"),
        ([{"id": "evt_list", "event": "PAYMENT_CREATED"}], "non_field_errors"),
    ],
)
def test_json_without_id_or_event_is_400(api_client: APIClient, body: Any, field: str) -> None:
    response = post(api_client, body)

    assert response.status_code == 400
    assert field in response.json()
    assert WebhookEvent.objects.count() == 0


# --- processing -------------------------------------------------------------------------------


def test_a_valid_event_is_stored_scrubbed_and_applied(
    api_client: APIClient, appointment: Appointment, patient: Patient
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(
        appointment,
        "PAYMENT_RECEIVED",
        status="RECEIVED",
        customer={
            "object": "customer",
            "id": "cus_000000000001",
            "name": PATIENT_NAME,
            "cpfCnpj": patient.cpf,
            "email": PATIENT_EMAIL,
            "mobilePhone": patient.phone,
        },
    )

    response = post(api_client, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "outcome": "PROCESSED"}
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.event_type == "PAYMENT_RECEIVED"
    assert stored.asaas_payment_id == appointment.asaas_payment_id
    assert stored.outcome == WebhookOutcome.PROCESSED
    assert stored.attempts == 1
    assert stored.processed_at is not None
    dumped = json.dumps(stored.payload, default=str)
    for secret in (PATIENT_NAME, patient.cpf, PATIENT_EMAIL, patient.phone):
        assert secret not in dumped
    assert stored.payload["payment"]["externalReference"] == f"appointment-{appointment.pk}"
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert appointment.paid_at is not None
    [webhook_tx] = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.WEBHOOK
    )
    assert webhook_tx.webhook_event_id == stored.pk
    assert webhook_tx.amount == appointment.total_amount


def test_a_duplicate_event_is_acknowledged_without_effect(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(appointment, "PAYMENT_CONFIRMED")

    first = post(api_client, body)
    second = post(api_client, body)

    assert first.json()["duplicate"] is False
    assert second.status_code == 200
    assert second.json() == {"received": True, "duplicate": True, "outcome": "PROCESSED"}
    assert WebhookEvent.objects.count() == 1
    assert PaymentTransaction.objects.filter(appointment=appointment).count() == 1
    assert WebhookEvent.objects.get().attempts == 1


def test_out_of_order_events_make_one_transition(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    received = event_body(appointment, "PAYMENT_RECEIVED", status="RECEIVED")
    created = event_body(appointment, "PAYMENT_CREATED")

    assert post(api_client, received).json()["outcome"] == "PROCESSED"
    late = post(api_client, created)

    assert late.status_code == 200
    assert late.json()["outcome"] == "IGNORED"
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert WebhookEvent.objects.get(event_id=created["id"]).outcome == WebhookOutcome.IGNORED
    assert PaymentTransaction.objects.filter(appointment=appointment).count() == 1


def test_an_unknown_event_is_ignored_with_200(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(appointment, "PAYMENT_BANK_SLIP_VIEWED")

    response = post(api_client, body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "IGNORED"
    assert WebhookEvent.objects.get(event_id=body["id"]).outcome == WebhookOutcome.IGNORED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


@pytest.mark.parametrize(
    "payment",
    [
        {"id": "pay_nobody_has_this", "externalReference": "appointment-999999"},
        {"id": "pay_nobody_has_this", "externalReference": "something-else"},
        {"id": "pay_nobody_has_this"},
    ],
)
def test_an_event_for_an_unknown_payment_is_ignored(
    api_client: APIClient, appointment: Appointment, payment: dict[str, Any]
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = {"id": f"evt_{uuid.uuid4().hex}", "event": "PAYMENT_RECEIVED", "payment": payment}

    response = post(api_client, body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "IGNORED"
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.outcome == WebhookOutcome.IGNORED
    assert stored.error
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


def test_an_event_found_by_payment_id_alone_is_applied(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING, payment_id="pay_known_by_id")
    body = event_body(appointment, "PAYMENT_RECEIVED", externalReference=None)

    assert post(api_client, body).json()["outcome"] == "PROCESSED"
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID


# --- failures and replay ----------------------------------------------------------------------


def _crashing_event(appointment: Appointment, other: Appointment) -> tuple[dict[str, Any], str]:
    """An event whose charge id already belongs to another appointment (unique column)."""
    taken = "pay_taken_by_another"
    at_status(other, PaymentStatus.PROCESSING, payment_id=taken)
    Appointment.objects.filter(pk=appointment.pk).update(asaas_payment_id=None)
    return event_body(appointment, "PAYMENT_CONFIRMED", id=taken), taken


def test_a_processing_crash_is_stored_failed_answered_200_and_replayed(
    api_client: APIClient,
    appointment: Appointment,
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> None:
    other = make_billed_appointment(professional=chargeable_professional, patient=patient)
    body, taken = _crashing_event(appointment, other)

    response = post(api_client, body)

    assert response.status_code == 200  # never make Asaas pause its queue
    assert response.json()["outcome"] == "FAILED"
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.outcome == WebhookOutcome.FAILED
    assert stored.error.startswith("IntegrityError")
    assert stored.attempts == 1
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PENDING
    assert not PaymentTransaction.objects.filter(appointment=appointment).exists()

    # Still broken: replay re-attempts and counts it.
    out = StringIO()
    call_command("replay_webhooks", stdout=out)
    assert "FAILED: 1" in out.getvalue()
    stored.refresh_from_db()
    assert stored.attempts == 2

    # An operator fixes the data; the replay now applies the event.
    Appointment.objects.filter(pk=other.pk).update(asaas_payment_id="pay_other_fixed")
    out = StringIO()
    call_command("replay_webhooks", stdout=out)
    assert "PROCESSED: 1" in out.getvalue()
    stored.refresh_from_db()
    assert stored.outcome == WebhookOutcome.PROCESSED
    assert stored.attempts == 3
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert appointment.asaas_payment_id == taken

    # Nothing left to replay; a redelivery of the event is a duplicate.
    out = StringIO()
    call_command("replay_webhooks", stdout=out)
    assert "Nenhum evento" in out.getvalue()
    assert post(api_client, body).json() == {
        "received": True,
        "duplicate": True,
        "outcome": "PROCESSED",
    }


def test_replay_also_picks_events_a_crash_left_unprocessed(appointment: Appointment) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    stored, _created = webhook_event_store(payload=event_body(appointment, "PAYMENT_RECEIVED"))
    fresh, _created = webhook_event_store(payload=event_body(appointment, "PAYMENT_CREATED"))
    WebhookEvent.objects.filter(pk=stored.pk).update(
        received_at=stored.received_at - dt.timedelta(minutes=5)
    )

    out = StringIO()
    call_command("replay_webhooks", stdout=out)

    assert "PROCESSED: 1" in out.getvalue()
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID
    fresh.refresh_from_db()
    assert fresh.outcome == WebhookOutcome.RECEIVED  # still being handled by its request


# --- payloads as the emulator sends them -------------------------------------------------------


def test_emulator_webhooks_for_create_and_confirm_make_the_appointment_paid(
    api_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment_charge_create(appointment_id=billed.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    events = emulator_control.webhook_events(wait_idle=0)
    assert [e["event"] for e in events] == ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]

    answers = [post(api_client, e["payload"]).json()["outcome"] for e in events]
    redelivered = [post(api_client, e["payload"]).json()["duplicate"] for e in events]

    # CREATED arrives after the charge service already moved it to PROCESSING: ignored.
    assert answers == ["IGNORED", "PROCESSED"]
    assert redelivered == [True, True]
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.WEBHOOK
        ).count()
        == 1
    )
