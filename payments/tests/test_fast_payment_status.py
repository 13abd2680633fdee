"""An appointment's payment state on the fast read path answers what the whole stack answers
(status, headers, bytes, audit record, throttle hit) reading with 2 statements, and leaves to
the whole stack ``?refresh``, other parameters, other paths, others' rows and missing ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import Appointment
from core.api.fastread import FastReads, Unserved, view_check
from core.models import AccessLog
from core.tests.test_body_parity import ledger_row, seeded  # noqa: F401 - seeded: a fixture
from core.tests.test_fast_read import (  # noqa: F401 - fixtures: the varied data, Redis
    _audit,
    _hits,
    _redis_cache,
    assert_same,
    bearer,
    both,
    data,
    outcome,
)
from payments.fast_reads import PAYMENT_STATUS
from payments.models import PaymentTransaction
from payments.views import AppointmentPaymentViewSet

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _ledger(appointment: Appointment, rows: int) -> None:
    """``rows`` ledger rows, several sharing a ``created_at`` (the id breaks the tie)."""
    base = timezone.now() - dt.timedelta(days=1)
    for n in range(rows):
        row = ledger_row(appointment, n)
        PaymentTransaction.objects.filter(pk=row.pk).update(
            created_at=base + dt.timedelta(minutes=n // 3)
        )


@pytest.fixture
def ledgers(data: dict[str, Any]) -> list[Appointment]:  # noqa: F811 - the imported fixture
    own = data["professionals"][0]
    appointments = list(Appointment.objects.filter(professional=own).order_by("pk")[:4])
    for appointment, rows in zip(appointments, (0, 1, 7, 26), strict=True):
        _ledger(appointment, rows)
    return appointments


def _path(appointment: Appointment) -> str:
    return f"/api/appointments/{appointment.pk}/payment_status/"


def test_the_payment_state_is_the_whole_stacks_answer(
    data: dict[str, Any],  # noqa: F811
    ledgers: list[Appointment],
) -> None:
    for user in ("staff", "owner"):
        for appointment in ledgers:
            fast, whole = both(_path(appointment), bearer(data[user]))
            assert outcome(fast) == "served", (user, outcome(fast))
            assert fast.status_code == 200
            assert_same(fast, whole)
    longest = both(_path(ledgers[-1]), bearer(data["staff"]))[0].json()["transactions"]
    assert len(longest) == 20  # 26 rows: the latest 20, newest first, ties by id
    assert longest[0]["created_at"] >= longest[-1]["created_at"]


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        ("?refresh=false", "query"),  # the view decides (and ?refresh=true calls Asaas)
        ("?refresh=true", "query"),
        ("?x=1", "query"),
        ("extra/", "path"),
    ],
)
def test_parameters_and_other_paths_take_the_whole_stack(
    data: dict[str, Any],  # noqa: F811
    ledgers: list[Appointment],
    suffix: str,
    reason: str,
) -> None:
    fast, whole = both(_path(ledgers[1]) + suffix, bearer(data["staff"]))
    assert outcome(fast) == reason
    assert fast.status_code == whole.status_code


def test_others_and_missing_rows_are_the_whole_stacks_404(
    data: dict[str, Any],  # noqa: F811
    ledgers: list[Appointment],
) -> None:
    other = Appointment.objects.exclude(professional=data["professionals"][0]).first()
    assert other is not None
    for path, user in (
        (_path(other), "owner"),  # someone else's: not found for this professional
        ("/api/appointments/999999999/payment_status/", "staff"),
    ):
        fast, whole = both(path, bearer(data[user]))
        assert outcome(fast) == "not found"
        assert fast.status_code == 404
        assert_same(fast, whole)


def test_audit_record_and_throttle_hit_are_the_whole_stacks(
    data: dict[str, Any],  # noqa: F811
    ledgers: list[Appointment],
) -> None:
    path, authorization = _path(ledgers[2]), bearer(data["staff"])
    served = _audit(path, authorization, fast=True)
    assert served == _audit(path, authorization, fast=False)
    assert [row[4] for row in served] == [str(ledgers[2].pk)]
    client = Client(HTTP_AUTHORIZATION=authorization)
    before = _hits(data["staff"])
    client.get(path)
    assert _hits(data["staff"]) == before + 1
    AccessLog.objects.all().delete()


def test_two_statements_the_row_and_its_latest_ledger_rows(
    data: dict[str, Any],  # noqa: F811
    ledgers: list[Appointment],
) -> None:
    from django.db import connection

    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    client.get(_path(ledgers[-1]))  # warm: the snapshot, the audit's content type
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_path(ledgers[-1]))
    assert outcome(response) == "served"
    statements = [q["sql"] for q in captured.captured_queries]
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(reads) == 2, statements
    assert "LIMIT 20" in reads[1]
    assert len(statements) <= 3  # and the audit record's insert (its buffer, in tests)


def test_the_view_is_checked_as_it_stands() -> None:
    """The action is served because its view permits, throttles and audits as declared; a
    view whose staff need another permission, or whose refresh throttle applied without a
    query parameter, would not be."""
    view_check(AppointmentPaymentViewSet, PAYMENT_STATUS)
    view = AppointmentPaymentViewSet()
    view.action = "payment_status"

    class Request:
        query_params: dict[str, str] = {}
        user = type("U", (), {"is_authenticated": True, "is_staff": False})()

    view.request = Request()  # type: ignore[assignment]
    base = [type(t) for t in super(AppointmentPaymentViewSet, view).get_throttles()]
    assert [type(t) for t in view.get_throttles()] == base  # nothing added without ?refresh

    class Stricter(AppointmentPaymentViewSet):
        staff_permissions = {"payment_status": ("appointments.change_appointment",)}

    with pytest.raises(Unserved, match="staff permissions"):
        view_check(Stricter, PAYMENT_STATUS)
    with pytest.raises(Unserved, match="get_throttles"):
        view_check(AppointmentPaymentViewSet, None)


def test_the_route_is_built() -> None:
    reads = FastReads(["payments.fast_reads.PAYMENT_STATUS"])
    routes = reads._build()
    assert list(routes) == ["appointments/payment_status"]
    route = routes["appointments/payment_status"]
    assert route.detail_headers["Allow"] == "GET, HEAD, OPTIONS"
    assert route.audit_retrieve
