"""The Asaas webhook: authentication, storage first, the transition table, replay."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from payments.models import (
    Charge,
    PaymentTransaction,
    TransactionType,
    WebhookEvent,
    WebhookOutcome,
)
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.services.transitions import APPOINTMENT_STATUS, TRANSITIONS
from payments.services.webhooks import DEFERRED, webhook_event_process, webhook_event_store

from .conftest import PATIENT_EMAIL, PATIENT_NAME, ChargeWorld, EmulatorControl

pytestmark = pytest.mark.django_db

URL = "/api/payments/webhooks/asaas/"
TOKEN = "whk-token-for-tests-0123456789abcdef"


@pytest.fixture(autouse=True)
def _webhook_token(settings: Any) -> None:
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN


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
    }
    body_payment.update(EVENT_SNAPSHOT.get(event, {"status": "PENDING"}))
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
    """Deliver a webhook. The view stores the event and answers RECEIVED at once (store
    first, answer, process after); the helper then runs the processing's first pass as the
    enqueued task does after the answer, and gives its outcome as ``response.applied``."""
    headers: dict[str, Any] = {} if token is None else {"HTTP_ASAAS_ACCESS_TOKEN": token}
    data: Any = raw if raw is not None else json.dumps(body)
    response: Any = client.generic(
        "POST", URL, data=data, content_type="application/json", **headers
    )
    answer = response.json() if response.status_code == 200 else {}
    response.applied = answer.get("outcome")
    if answer and not answer["duplicate"]:
        assert answer["outcome"] == WebhookOutcome.RECEIVED  # answered before processing
        event = WebhookEvent.objects.get(event_id=json.loads(data)["id"])
        outcome = webhook_event_process(event_id=event.pk, wait=False)
        response.applied = WebhookOutcome.RECEIVED if outcome == DEFERRED else outcome
    return response


# --- the transition table, row by row -------------------------------------------------------

P, A, S, F, D = "PENDING", "AWAITING_PAYMENT", "SUBMITTING", "FAILED", "PAID"
CB, R, X = "CHARGEBACK", "REFUNDED", "CANCELED"
UNPAID = (P, S, F, A)
LINKED = (A, D, CB, R, X)
#: The whole table, spelled out here on purpose (not read back from the module).
PINNED_TABLE: dict[str, dict[str, set[str]]] = {
    "CLAIMED": {P: {S}, S: {S}},
    "SUBMITTED": {S: {A, D}, P: {A, D}},
    "SUBMIT_FAILED": {S: {P}},
    "SUBMIT_GAVE_UP": {S: {F}},
    "RESUBMIT_REQUESTED": {F: {P}},
    "CANCEL_REQUESTED": {P: {X}, F: {X}, A: {X}},
    "REFUND_REQUESTED": {D: {D, R}},
    "SYNCED": {status: set(LINKED) for status in (*UNPAID, D, CB, R, X)},
    "PAYMENT_CREATED": {P: {A}, S: {A}, F: {A}},
    "PAYMENT_AWAITING_RISK_ANALYSIS": {s: {A} for s in UNPAID},
    "PAYMENT_APPROVED_BY_RISK_ANALYSIS": {s: {A} for s in UNPAID},
    "PAYMENT_AUTHORIZED": {s: {A} for s in UNPAID},
    "PAYMENT_OVERDUE": {s: {A} for s in UNPAID},
    "PAYMENT_CONFIRMED": {s: {D} for s in UNPAID},
    "PAYMENT_RECEIVED": {**{s: {D} for s in UNPAID}, D: {D}},
    "PAYMENT_DELETED": {s: {X} for s in UNPAID},
    "PAYMENT_PARTIALLY_REFUNDED": {D: {D}},
    "PAYMENT_REFUND_IN_PROGRESS": {D: {D}},
    "PAYMENT_REFUNDED": {D: {R}, CB: {R}},
    "PAYMENT_CHARGEBACK_REQUESTED": {D: {CB}},
    "PAYMENT_CHARGEBACK_DISPUTE": {CB: {CB}},
    "PAYMENT_AWAITING_CHARGEBACK_REVERSAL": {CB: {CB}},
}


def test_the_whole_table_is_pinned() -> None:
    actual = {
        trigger: {source: set(targets) for source, targets in moves.items()}
        for trigger, moves in TRANSITIONS.items()
    }
    assert actual == PINNED_TABLE


#: What Asaas's payment object says along with each event (the snapshot the event carries).
EVENT_SNAPSHOT: dict[str, dict[str, Any]] = {
    "PAYMENT_CREATED": {"status": "PENDING"},
    "PAYMENT_AWAITING_RISK_ANALYSIS": {"status": "AWAITING_RISK_ANALYSIS"},
    "PAYMENT_APPROVED_BY_RISK_ANALYSIS": {"status": "PENDING"},
    "PAYMENT_AUTHORIZED": {"status": "AUTHORIZED"},
    "PAYMENT_OVERDUE": {"status": "OVERDUE"},
    "PAYMENT_CONFIRMED": {"status": "CONFIRMED"},
    "PAYMENT_RECEIVED": {"status": "RECEIVED"},
    "PAYMENT_DELETED": {"status": "PENDING", "deleted": True},
    "PAYMENT_PARTIALLY_REFUNDED": {
        "status": "RECEIVED",
        "refunds": [{"value": "30.00", "status": "DONE"}],
    },
    "PAYMENT_REFUND_IN_PROGRESS": {"status": "REFUND_IN_PROGRESS"},
    "PAYMENT_REFUNDED": {"status": "REFUNDED"},
    "PAYMENT_CHARGEBACK_REQUESTED": {"status": "CHARGEBACK_REQUESTED"},
    "PAYMENT_CHARGEBACK_DISPUTE": {"status": "CHARGEBACK_DISPUTE"},
    "PAYMENT_AWAITING_CHARGEBACK_REVERSAL": {"status": "AWAITING_CHARGEBACK_REVERSAL"},
}
#: The appointment status that puts its charge in each charge status (charges made lazily).
AT_STATUS = {P: "PENDING", F: "FAILED", A: "PROCESSING", D: "PAID", CB: "CHARGEBACK"}
EVENT_ROWS = [
    (event, source, target)
    for event, moves in PINNED_TABLE.items()
    if event.startswith("PAYMENT_")
    for source, targets in moves.items()
    for target in targets
    if source in AT_STATUS
]


@pytest.mark.parametrize(("event", "source", "target"), EVENT_ROWS)
def test_every_event_row_of_the_table_moves_the_charge(
    api_client: APIClient, appointment: Appointment, event: str, source: str, target: str
) -> None:
    at_status(appointment, AT_STATUS[source])

    response = post(api_client, event_body(appointment, event, **EVENT_SNAPSHOT[event]))

    assert response.status_code == 200, response.content
    assert response.applied == WebhookOutcome.PROCESSED
    charge = Charge.objects.get(appointment=appointment)
    assert charge.status == target
    appointment.refresh_from_db()
    assert appointment.status == APPOINTMENT_STATUS[target]
    webhook_rows = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.WEBHOOK
    )
    if source == target == A and event != "PAYMENT_OVERDUE":
        # Says what we hold already (an unpaid charge): processed, nothing written.
        assert not webhook_rows.exists()
    else:
        assert webhook_rows.get().response_payload == {"event": event, "from": source, "to": target}
    if target == D:
        assert appointment.paid_at is not None
    if event == "PAYMENT_PARTIALLY_REFUNDED":
        assert appointment.refunded_amount == Decimal("30.00")
    if event == "PAYMENT_REFUNDED":
        assert appointment.refunded_amount == appointment.total_amount
        assert PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.REFUND
        ).exists()


@pytest.mark.parametrize("event", ["PAYMENT_BANK_SLIP_VIEWED", "PAYMENT_CHECKOUT_VIEWED"])
def test_informational_events_change_nothing(appointment: Appointment, event: str) -> None:
    at_status(appointment, "PROCESSING")
    before = Appointment.objects.values().get(pk=appointment.pk)
    stored, _created = webhook_event_store(payload=event_body(appointment, event))

    assert webhook_event_process(event_id=stored.pk) == WebhookOutcome.PROCESSED
    assert Appointment.objects.values().get(pk=appointment.pk) == before


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
    assert response.json() == {"received": True, "duplicate": False, "outcome": "RECEIVED"}
    assert response.applied == "PROCESSED"
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
    rows = PaymentTransaction.objects.filter(appointment=appointment).count()
    second = post(api_client, body)

    assert first.json()["duplicate"] is False
    assert second.status_code == 200
    assert second.json() == {"received": True, "duplicate": True, "outcome": "PROCESSED"}
    assert WebhookEvent.objects.count() == 1
    assert PaymentTransaction.objects.filter(appointment=appointment).count() == rows
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.WEBHOOK
        ).count()
        == 1
    )
    assert WebhookEvent.objects.get().attempts == 1


def test_out_of_order_events_make_one_transition(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    received = event_body(appointment, "PAYMENT_RECEIVED", status="RECEIVED")
    created = event_body(appointment, "PAYMENT_CREATED")

    assert post(api_client, received).applied == "PROCESSED"
    late = post(api_client, created)

    # Not a next step: left to a task that re-reads the payment from Asaas (see
    # test_convergence.py); the request neither waits nor changes anything.
    assert late.status_code == 200
    assert late.applied == "RECEIVED"
    assert WebhookEvent.objects.get(event_id=created["id"]).outcome == WebhookOutcome.RECEIVED
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.WEBHOOK
        ).count()
        == 1
    )


def test_an_event_not_about_charges_is_ignored_with_200(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(appointment, "TRANSFER_CREATED")

    response = post(api_client, body)

    assert response.status_code == 200
    assert response.applied == "IGNORED"
    assert WebhookEvent.objects.get(event_id=body["id"]).outcome == WebhookOutcome.IGNORED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


@pytest.mark.parametrize(
    ("payment", "outcome"),
    [
        ({"id": "pay_nobody_has_this", "externalReference": "appointment-999999"}, "REJECTED"),
        ({"id": "pay_nobody_has_this", "externalReference": "appointment-١٧"}, "REJECTED"),
        ({"id": "pay_nobody_has_this", "externalReference": "something-else"}, "IGNORED"),
        ({"id": "pay_nobody_has_this"}, "IGNORED"),
    ],
)
def test_an_event_for_an_unknown_payment_changes_nothing(
    api_client: APIClient, appointment: Appointment, payment: dict[str, Any], outcome: str
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = {"id": f"evt_{uuid.uuid4().hex}", "event": "PAYMENT_RECEIVED", "payment": payment}

    response = post(api_client, body)

    assert response.status_code == 200
    assert response.applied == outcome
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.outcome == outcome
    assert stored.error
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING


def test_an_event_found_by_payment_id_alone_is_applied(
    api_client: APIClient, appointment: Appointment
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING, payment_id="pay_known_by_id")
    body = event_body(appointment, "PAYMENT_RECEIVED", externalReference=None)

    assert post(api_client, body).applied == "PROCESSED"
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID


# --- failures and replay ----------------------------------------------------------------------


def test_a_processing_crash_is_stored_failed_answered_200_and_replayed(
    api_client: APIClient, appointment: Appointment, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(appointment, "PAYMENT_CONFIRMED")

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("bug in processing")

    monkeypatch.setattr("payments.services.webhooks.charge_transition", broken)
    response = post(api_client, body)

    assert response.status_code == 200  # never make Asaas pause its queue
    assert response.applied == "FAILED"
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.outcome == WebhookOutcome.FAILED
    assert stored.error.startswith("RuntimeError")
    assert stored.attempts == 1
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    assert not PaymentTransaction.objects.filter(appointment=appointment).exists()

    # Still broken: replay re-attempts and counts it.
    out = StringIO()
    call_command("replay_webhooks", stdout=out)
    assert "FAILED: 1" in out.getvalue()
    stored.refresh_from_db()
    assert stored.attempts == 2

    # Fixed (a deploy): the replay now applies the event.
    monkeypatch.undo()
    out = StringIO()
    call_command("replay_webhooks", stdout=out)
    assert "PROCESSED: 1" in out.getvalue()
    stored.refresh_from_db()
    assert stored.outcome == WebhookOutcome.PROCESSED
    assert stored.attempts == 3
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID

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
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    events = emulator_control.webhook_events(wait_idle=0)
    assert [e["event"] for e in events] == ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]

    answers = [post(api_client, e["payload"]).applied for e in events]
    redelivered = [post(api_client, e["payload"]).json()["duplicate"] for e in events]

    # CREATED says what the charge service already recorded: processed, nothing written.
    assert answers == ["PROCESSED", "PROCESSED"]
    assert redelivered == [True, True]
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.WEBHOOK
        ).count()
        == 1
    )


def test_webhook_event_keeps_the_request_id_of_its_delivery(
    api_client: APIClient, appointment: Appointment
) -> None:
    body = event_body(appointment, "PAYMENT_CREATED")
    response = api_client.generic(
        "POST",
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ASAAS_ACCESS_TOKEN=TOKEN,
        HTTP_X_REQUEST_ID="asaas-delivery-77",
    )
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "asaas-delivery-77"
    assert WebhookEvent.objects.get(event_id=body["id"]).request_id == "asaas-delivery-77"


def test_an_answered_event_is_stored_and_its_processing_enqueued_on_commit(
    api_client: APIClient, appointment: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    """Store first, answer, process after: once answered 200 the event is in the database
    (committed with the answer's transaction) and a task is enqueued for it; were the broker
    down, the replay task would pick the RECEIVED event up (test above)."""
    from functools import partial

    from payments.tasks import webhook_processing_request

    at_status(appointment, PaymentStatus.PROCESSING)
    body = event_body(appointment, "PAYMENT_CONFIRMED")
    headers: dict[str, Any] = {"HTTP_ASAAS_ACCESS_TOKEN": TOKEN}
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.generic(
            "POST", URL, data=json.dumps(body), content_type="application/json", **headers
        )

    assert response.json() == {"received": True, "duplicate": False, "outcome": "RECEIVED"}
    stored = WebhookEvent.objects.get(event_id=body["id"])
    assert stored.outcome == WebhookOutcome.RECEIVED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    enqueued = [
        c.args for c in callbacks if isinstance(c, partial) and c.func == webhook_processing_request
    ]
    assert enqueued == [(stored.pk,)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_event_is_one_insert_committed_when_it_returns() -> None:
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    payload = {"id": f"evt_{uuid.uuid4().hex}", "event": "PAYMENT_CREATED", "payment": {}}
    assert connection.get_autocommit()
    with CaptureQueriesContext(connection) as captured:
        event, created = webhook_event_store(payload=payload)
    assert created
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]  # no savepoint
    # Another connection sees it at once: it was committed before the answer.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM payments_webhookevent WHERE id = %s", [event.pk])
            assert cursor.fetchone() == (1,)
    finally:
        other.close()
    again, created_again = webhook_event_store(payload=payload)
    assert (again.pk, created_again) == (event.pk, False)
    assert WebhookEvent.objects.filter(event_id=payload["id"]).count() == 1  # connection usable
