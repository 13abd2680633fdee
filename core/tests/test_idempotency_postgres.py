"""Idempotency-Key under real concurrency: threads, each with its own PostgreSQL connection.

* a request with the key while the first one is still running → 409 at once (no wait), and
  the first one still completes and is replayed afterwards;
* many identical requests released together → exactly one booking, every answer either that
  booking (original or replay) or the 409 "still running".
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.models import IdempotencyKey
from core.tests.factories import ProfessionalFactory
from professionals.models import Professional

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/appointments/"
SLOT = "2031-05-20T10:00:00-03:00"
THREADS = 8


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` in a thread with its own connection; its result lands in the list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(target())
        except BaseException as error:  # noqa: BLE001 - asserted on by the test
            out.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def wait_for(probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.02)
    pytest.fail("timed out")


def authenticated(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_same_key_while_the_first_request_runs_is_409_then_the_first_is_replayed(
    staff_user: Any,
) -> None:
    professional = ProfessionalFactory.create()
    body = {"date": SLOT, "professional": professional.pk}
    headers = {"Idempotency-Key": "slow-booking"}
    locked, release = threading.Event(), threading.Event()

    def hold_the_professional_row() -> None:
        # Booking locks the professional's row: holding it keeps the first request running.
        with transaction.atomic():
            Professional.objects.select_for_update().get(pk=professional.pk)
            locked.set()
            release.wait(20)

    locker, _ = in_thread(hold_the_professional_row)
    assert locked.wait(10)
    first_thread, first = in_thread(
        lambda: authenticated(staff_user).post(URL, body, format="json", headers=headers)
    )
    try:
        # The first request has claimed its key and is waiting for the lock.
        wait_for(lambda: IdempotencyKey.objects.filter(key="slow-booking").exists())
        started = time.monotonic()
        second = authenticated(staff_user).post(URL, body, format="json", headers=headers)
        elapsed = time.monotonic() - started
        assert Appointment.objects.count() == 0, "the first booking must still be running"
    finally:
        release.set()
        locker.join(20)
        first_thread.join(20)

    assert second.status_code == 409
    assert second["Retry-After"] == "1"
    assert "ainda está em andamento" in second.json()["detail"]
    assert elapsed < 2.0, f"the 409 took {elapsed:.2f} s: it must not wait for the first"
    [first_response] = first
    assert first_response.status_code == 201, first_response
    third = authenticated(staff_user).post(URL, body, format="json", headers=headers)
    assert third.status_code == 201
    assert third.json() == first_response.json()
    assert third["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_identical_requests_released_together_book_once(staff_user: Any) -> None:
    professional = ProfessionalFactory.create()
    body = {"date": SLOT, "professional": professional.pk}
    barrier = threading.Barrier(THREADS, timeout=30)

    def post() -> Any:
        client = authenticated(staff_user)
        barrier.wait()
        return client.post(URL, body, format="json", headers={"Idempotency-Key": "burst"})

    runs = [in_thread(post) for _ in range(THREADS)]
    for thread, _ in runs:
        thread.join(60)
    responses = [out[0] for _, out in runs]

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    [booking] = Appointment.objects.all()
    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(originals) == 1
    for response in responses:
        assert response.status_code in {201, 409}, response.content
        if response.status_code == 201:
            assert response.json()["id"] == booking.pk
        else:
            assert "ainda está em andamento" in response.json()["detail"]
    row = IdempotencyKey.objects.get(key="burst")
    assert row.response_status == 201
    assert row.response_body is not None
    assert row.response_body["id"] == booking.pk


def test_different_keys_for_one_slot_still_book_once(staff_user: Any) -> None:
    """Keys do not weaken the no-double-booking rule: other keys get the slot's 409."""
    professional = ProfessionalFactory.create()
    body = {"date": SLOT, "professional": professional.pk}
    barrier = threading.Barrier(THREADS, timeout=30)

    def post(index: int) -> Any:
        client = authenticated(staff_user)
        barrier.wait()
        return client.post(URL, body, format="json", headers={"Idempotency-Key": f"k-{index}"})

    runs = [in_thread(functools.partial(post, index)) for index in range(THREADS)]
    for thread, _ in runs:
        thread.join(60)
    statuses = sorted(out[0].status_code for _, out in runs)

    assert statuses == [201] + [409] * (THREADS - 1)
    assert Appointment.objects.count() == 1
    assert IdempotencyKey.objects.filter(response_status=409).count() == THREADS - 1


def test_a_server_error_releases_the_key_and_the_repeat_runs_again(staff_user: Any) -> None:
    """A real 500 (the booking's row lock times out): nothing is stored, the key is free."""
    professional = ProfessionalFactory.create()
    body = {"date": SLOT, "professional": professional.pk}
    headers = {"Idempotency-Key": "after-a-500"}
    locked, release = threading.Event(), threading.Event()

    def hold_the_professional_row() -> None:
        with transaction.atomic():
            Professional.objects.select_for_update().get(pk=professional.pk)
            locked.set()
            release.wait(20)

    def post_with_a_short_lock_timeout() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        client = authenticated(staff_user)
        client.raise_request_exception = False
        return client.post(URL, body, format="json", headers=headers)

    locker, _ = in_thread(hold_the_professional_row)
    assert locked.wait(10)
    try:
        poster, out = in_thread(post_with_a_short_lock_timeout)
        poster.join(20)
    finally:
        release.set()
        locker.join(20)

    [failed] = out
    assert failed.status_code == 500
    assert not IdempotencyKey.objects.filter(key="after-a-500").exists()
    assert Appointment.objects.count() == 0
    retried = authenticated(staff_user).post(URL, body, format="json", headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert IdempotencyKey.objects.get(key="after-a-500").response_status == 201
