"""Payment metrics (staff endpoint and admin changelist) and the read-only payment admins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from appointments.services import appointment_create
from payments.models import PaymentTransaction, TransactionType, WebhookEvent
from payments.services.ledger import transaction_record
from payments.services.webhooks import webhook_event_store
from professionals.models import Professional

from .conftest import next_slot

pytestmark = pytest.mark.django_db

METRICS = "/api/payments/metrics/"


@pytest.fixture
def data(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> dict[str, Appointment]:
    def billed(status: str, total: str = "100.00", **fields: Any) -> Appointment:
        appointment = make_billed_appointment(
            professional=chargeable_professional, patient=patient, total=total
        )
        Appointment.objects.filter(pk=appointment.pk).update(status=status, **fields)
        appointment.refresh_from_db()
        return appointment

    created = {
        "paid": billed(
            PaymentStatus.PAID,
            platform_amount=Decimal("15.00"),
            professional_amount=Decimal("85.00"),
            asaas_payment_id="pay_m1",
        ),
        "failed": billed(PaymentStatus.FAILED, total="40.00"),
        "pending": billed(PaymentStatus.PENDING, total="60.50"),
        "refunded": billed(
            PaymentStatus.REFUNDED,
            total="20.00",
            platform_amount=Decimal("3.00"),
            professional_amount=Decimal("17.00"),
            refunded_amount=Decimal("20.00"),
            asaas_payment_id="pay_m2",
        ),
        "not_billed": appointment_create(professional=chargeable_professional, date=next_slot()),
        "old_paid": billed(
            PaymentStatus.PAID,
            total="200.00",
            platform_amount=Decimal("30.00"),
            professional_amount=Decimal("170.00"),
            asaas_payment_id="pay_m3",
        ),
    }
    Appointment.objects.filter(pk=created["old_paid"].pk).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    transaction_record(
        appointment=created["failed"],
        transaction_type=TransactionType.CHARGE,
        succeeded=False,
        error=RuntimeError("boom"),
    )
    webhook_event_store(payload={"id": "evt_metrics_1", "event": "PAYMENT_RECEIVED"})
    return created


def test_staff_get_daily_rows_and_health(staff_client: APIClient, data: Any) -> None:
    response = staff_client.get(METRICS)

    assert response.status_code == 200, response.content
    body = response.json()
    daily = body["daily"]
    assert len(daily) == 7
    today = timezone.localdate()
    assert [row["date"] for row in daily] == [
        (today - dt.timedelta(days=n)).isoformat() for n in range(7)
    ]
    assert daily[0] == {
        "date": today.isoformat(),
        "charges": 4,
        "paid": 1,
        "failed": 1,
        "canceled": 0,
        "refunded": 1,
        "billed_amount": "220.50",
        "paid_amount": "100.00",
        "platform_revenue": "15.00",
        "professional_payouts": "85.00",
        "refunded_amount": "20.00",
        "conversion_rate": 0.25,
    }
    assert daily[3]["charges"] == 1
    assert daily[3]["paid_amount"] == "200.00"
    assert daily[3]["platform_revenue"] == "30.00"
    assert all(row["charges"] == 0 for i, row in enumerate(daily) if i not in (0, 3))
    assert daily[1]["billed_amount"] == "0.00"

    health = body["health"]
    assert health["charges_awaiting_creation"] == 1
    assert health["charges_failed"] == 1
    assert health["asaas_failed_calls_last_24h"] == 1
    assert health["professionals"]["ACTIVE"] == 1
    assert health["webhooks_last_24h"]["RECEIVED"] == 1
    assert health["last_webhook_at"] is not None


def test_days_narrows_the_window(staff_client: APIClient, data: Any) -> None:
    body = staff_client.get(METRICS, {"days": "1"}).json()

    assert len(body["daily"]) == 1
    assert body["daily"][0]["charges"] == 4
    assert len(staff_client.get(METRICS, {"days": "90"}).json()["daily"]) == 90


def test_the_figures_are_computed_at_most_once_per_cache_window(
    staff_client: APIClient, data: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within ``PAYMENT_METRICS_CACHE_SECONDS`` the same figures (a change is not seen, no
    SQL), per number of days and per local date; with 0, computed on every request."""
    settings.PAYMENT_METRICS_CACHE_SECONDS = 30
    first = staff_client.get(METRICS, {"days": "2"}).json()
    Appointment.objects.filter(status=PaymentStatus.PAID).update(status=PaymentStatus.REFUNDED)
    with CaptureQueriesContext(connection) as captured:
        held = staff_client.get(METRICS, {"days": "2"}).json()
    assert held == first
    assert not [q for q in captured.captured_queries if "appointments_appointment" in q["sql"]]
    # Another window, another day: computed, and the change is seen.
    assert staff_client.get(METRICS, {"days": "1"}).json()["daily"][0]["paid"] == 0
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    next_day = staff_client.get(METRICS, {"days": "2"}).json()["daily"]
    assert [row["date"] for row in next_day] == [tomorrow.isoformat(), first["daily"][0]["date"]]
    assert next_day[1]["paid"] == 0
    settings.PAYMENT_METRICS_CACHE_SECONDS = 0
    monkeypatch.undo()
    assert staff_client.get(METRICS, {"days": "2"}).json()["daily"][0]["paid"] == 0
    assert first["daily"][0]["paid"] == 1


def test_anonymous_is_refused(anon_client: APIClient) -> None:
    assert anon_client.get(METRICS).status_code == 401


def test_a_non_staff_user_is_refused(anon_client: APIClient) -> None:
    user = get_user_model().objects.create_user(username="comum", password="s3nha-comum-123")
    anon_client.force_authenticate(user=user)

    assert anon_client.get(METRICS).status_code == 403


@pytest.mark.parametrize("days", ["0", "abc", "91", "-1", "7.5", ""])
def test_invalid_days_is_400(staff_client: APIClient, days: str) -> None:
    response = staff_client.get(METRICS, {"days": days})

    assert response.status_code == 400
    assert "days" in response.json()


# --- admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_logged(staff_user: Any) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_the_transaction_changelist_shows_the_metrics(
    admin_client_logged: Client, data: Any
) -> None:
    response = admin_client_logged.get("/admin/payments/paymenttransaction/")

    assert response.status_code == 200
    assert "Métricas" in response.content.decode()


@pytest.mark.parametrize("model", ["paymenttransaction", "webhookevent"])
def test_payment_records_cannot_be_added_changed_or_deleted_in_the_admin(
    admin_client_logged: Client, data: Any, model: str
) -> None:
    record = (PaymentTransaction if model == "paymenttransaction" else WebhookEvent).objects.first()
    assert record is not None
    base = f"/admin/payments/{model}/"

    assert admin_client_logged.get(f"{base}add/").status_code == 403
    assert admin_client_logged.get(base).status_code == 200
    changelist = admin_client_logged.get(base).content.decode()
    assert f"{base}add/" not in changelist
    detail = admin_client_logged.get(f"{base}{record.pk}/change/")
    assert detail.status_code == 200  # viewable
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client_logged.post(f"{base}{record.pk}/change/", {}).status_code == 403
    assert admin_client_logged.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    assert type(record).objects.filter(pk=record.pk).exists()
