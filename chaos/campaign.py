"""The campaign's shared state and scenarios (a), (c) and (d); (b) lives in lifecycles.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .api import LOCAL, STAFF_USER, App, BookingResult, Emulator
from .plan import Plan
from .procs import wait_for
from .stack import Stack

log = logging.getLogger("chaos")
METHODS = ("PIX", "PIX", "PIX", "BOLETO", "CREDIT_CARD")


@dataclass
class Campaign:
    plan: Plan
    stack: Stack
    app: App = field(init=False)
    emulator: Emulator = field(init=False)
    professionals: list[int] = field(default_factory=list)
    patients: list[int] = field(default_factory=list)
    bookings: list[BookingResult] = field(default_factory=list)
    slot_results: dict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    outage: threading.Event = field(default_factory=threading.Event)
    _slots: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- setup -----------------------------------------------------------------------------
    def setup(self) -> None:
        password = secrets.token_urlsafe(18)
        self.stack.manage(
            "ensure_superuser",
            extra_env={
                "DJANGO_SUPERUSER_USERNAME": STAFF_USER,
                "DJANGO_SUPERUSER_PASSWORD": password,
                "DJANGO_SUPERUSER_EMAIL": "operadora@example.com",
            },
        )
        self.app = App(self.stack.web_url, password, self.stack.webhook_token)
        self.app.login()
        self.emulator = Emulator(self.stack.emulator_url, self.stack.control_token)
        self.professionals = [
            self.app.create_professional(i) for i in range(self.plan.professionals)
        ]
        self.patients = [self.app.create_patient() for _ in range(self.plan.patients)]
        wait_for(
            lambda: all(self.app.professional_active(pk) for pk in self.professionals),
            timeout=90,
            what="the professionals' Asaas onboarding",
        )

    # --- helpers ---------------------------------------------------------------------------
    def next_slot(self, professional: int) -> dt.datetime:
        """Distinct, non-overlapping hourly slots per professional, from 3 days ahead."""
        with self._lock:
            index = self._slots[professional]
            self._slots[professional] += 1
        base = dt.datetime.combine(
            dt.datetime.now(LOCAL).date() + dt.timedelta(days=3), dt.time(0, 0), tzinfo=LOCAL
        )
        return base + dt.timedelta(hours=index)

    def record(self, result: BookingResult) -> BookingResult:
        result.during_outage = result.during_outage or self.outage.is_set()
        with self._lock:
            self.bookings.append(result)
            self.slot_results[result.slot].append(result.status)
        return result

    def billed_ids(self) -> list[int]:
        return [b.appointment_id for b in self.bookings if b.appointment_id is not None]

    def wait_charged(self, ids: list[int], *, timeout: float, label: str) -> float:
        """Wait until none of ``ids`` is still PENDING (charge not created); seconds waited."""
        started = time.monotonic()
        wanted = set(ids)
        while True:
            current = self.app.appointments()
            pending = [pk for pk in wanted if current.get(pk, {}).get("status") == "PENDING"]
            if not pending:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                self.notes.append(
                    f"{label}: {len(pending)} charges still PENDING after {timeout:.0f} s"
                )
                return time.monotonic() - started
            time.sleep(3)

    # --- (a) -------------------------------------------------------------------------------
    def scenario_a(self) -> None:
        plan = self.plan
        window = plan.a_window_seconds
        self.emulator.faults(error_rate=plan.a_error_rate, latency_ms=plan.a_latency_ms)
        started = time.monotonic()
        counter = itertools.count()
        results: list[BookingResult] = []

        def client(_: int) -> None:
            while True:
                index = next(counter)
                if index >= plan.a_bookings:
                    return
                due = started + window * index / plan.a_bookings
                time.sleep(max(0.0, due - time.monotonic()))
                professional = self.professionals[index % len(self.professionals)]
                result = self.app.book(
                    professional=professional,
                    patient=self.patients[index % len(self.patients)],
                    start=self.next_slot(professional),
                    method=METHODS[index % len(METHODS)],
                )
                results.append(self.record(result))

        events: list[tuple[float, str, Callable[[], None]]] = [
            (0.10, "hang-after-create on", lambda: self._hang(plan.a_hang_seconds)),
            (0.25, "hang-after-create off", lambda: self._hang(0)),
            (0.40, "worker SIGKILL", self._kill_worker),
            (0.55, "Redis down", self._redis_outage),
            (0.80, "hang-after-create on", lambda: self._hang(plan.a_hang_seconds)),
            (0.90, "hang-after-create off", lambda: self._hang(0)),
        ]

        def conductor() -> None:
            for share, label, action in events:
                time.sleep(max(0.0, started + window * share - time.monotonic()))
                log.info("(a) %s at %.0f s", label, time.monotonic() - started)
                action()

        with ThreadPoolExecutor(plan.a_clients + 1) as pool:
            conductor_done = pool.submit(conductor)
            for future in [pool.submit(client, i) for i in range(plan.a_clients)]:
                future.result()
            conductor_done.result()
        self.timings["a_bookings_s"] = time.monotonic() - started
        self.emulator.clear_faults()
        ids = [r.appointment_id for r in results if r.appointment_id is not None]
        self.timings["a_converge_s"] = self.wait_charged(
            ids, timeout=plan.converge_seconds, label="(a)"
        )

    def _hang(self, seconds: float) -> None:
        self.emulator.faults(hang_after_create_seconds=seconds)

    def _kill_worker(self) -> None:
        with self.stack.down("worker"):
            self.stack.children["worker"].kill()
            time.sleep(2)
            self.stack.start_worker()

    def _redis_outage(self) -> None:
        self.outage.set()
        try:
            with self.stack.down("redis"):
                self.stack.children["redis"].stop()
                time.sleep(self.plan.redis_outage_seconds)
                self.stack.start_redis()
        finally:
            self.outage.clear()

    # --- (c) -------------------------------------------------------------------------------
    def scenario_c(self) -> dict[str, Any]:
        plan = self.plan
        professional, patient = self.professionals[0], self.patients[0]
        # Charges take longer at Asaas, so the worker is busy while the bookings arrive.
        self.emulator.faults(latency_ms=300)
        started = time.monotonic()
        # A weekly series: one after the other, each with its own Idempotency-Key.
        series = [
            (self.next_slot(professional), str(uuid.uuid4())) for _ in range(plan.c_consecutive)
        ]
        consecutive = [
            self.record(
                self.app.book(professional=professional, patient=patient, start=start, key=key)
            )
            for start, key in series
        ]
        slots = [self.next_slot(professional) for _ in range(plan.c_concurrent_slots)]
        requests_ = [slot for slot in slots for _ in range(plan.c_requests_per_slot)]
        barrier = threading.Barrier(min(len(requests_), 16))

        def one(start: dt.datetime) -> BookingResult:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(5)
            return self.record(
                self.app.book(professional=professional, patient=patient, start=start)
            )

        with ThreadPoolExecutor(min(len(requests_), 16)) as pool:
            concurrent = list(pool.map(one, requests_))
        # A client that lost each answer repeats it with the same key: the first answer again.
        replays = [
            self.app.book(professional=professional, patient=patient, start=start, key=key)
            for start, key in series
        ]
        replays_wrong = sum(
            1
            for first, again in zip(consecutive, replays, strict=True)
            if first.status == 201
            and (again.status, again.appointment_id) != (201, first.appointment_id)
        )
        self.emulator.clear_faults()
        self.timings["c_s"] = time.monotonic() - started
        ids = [r.appointment_id for r in consecutive + concurrent if r.appointment_id]
        self.timings["c_converge_s"] = self.wait_charged(
            ids, timeout=self.plan.converge_seconds, label="(c)"
        )
        return {
            "consecutive_5xx": sum(r.status >= 500 for r in consecutive),
            "concurrent_5xx": sum(r.status >= 500 for r in concurrent),
            "concurrent_201": sum(r.status == 201 for r in concurrent),
            "concurrent_409": sum(r.status == 409 for r in concurrent),
            "idempotent_replays": len(replays),
            "idempotent_replays_wrong": replays_wrong,
        }

    # --- (d) -------------------------------------------------------------------------------
    def scenario_d(self, *, exclude: set[int]) -> dict[str, Any]:
        """Book and charge ``d_bookings``, stop the web, confirm at Asaas every open charge
        (these and those left open by (a) and (c); not (b)'s), wait, start the web again."""
        plan = self.plan
        booked = [
            self.record(
                self.app.book(
                    professional=self.professionals[i % len(self.professionals)],
                    patient=self.patients[i % len(self.patients)],
                    start=self.next_slot(self.professionals[i % len(self.professionals)]),
                )
            )
            for i in range(plan.d_bookings)
        ]
        ids = [r.appointment_id for r in booked if r.appointment_id]
        self.wait_charged(ids, timeout=plan.converge_seconds, label="(d) before")
        current = self.app.appointments()
        ids = [
            pk
            for pk, item in current.items()
            if pk not in exclude and item["status"] == "PROCESSING" and item["asaas_payment_id"]
        ]
        payment_ids = [current[pk]["asaas_payment_id"] for pk in ids]
        with self.stack.down("web"):
            self.stack.children["web"].stop()
            down_at = time.monotonic()
            confirmed = 0
            for payment_id in payment_ids:
                response = self.emulator.asaas("POST", f"sandbox/payment/{payment_id}/confirm")
                confirmed += response.ok
            time.sleep(max(0.0, plan.d_down_seconds - (time.monotonic() - down_at)))
            paid_while_down = self._paid_in_database(ids)
            self.stack.start_web()
        back_at = time.monotonic()

        def all_paid() -> bool:
            now = self.app.appointments()
            return all(now[pk]["status"] == "PAID" for pk in ids if now[pk]["asaas_payment_id"])

        try:
            wait_for(all_paid, timeout=plan.converge_seconds, what="(d) payments to become PAID")
            converged = round(time.monotonic() - back_at, 1)
        except RuntimeError:
            converged = -1.0
            self.notes.append("(d) not every confirmed payment became PAID in time")
        return {
            "confirmed_while_down": confirmed,
            "paid_before_web_restart_by_sync": paid_while_down,
            "seconds_to_paid_after_restart": converged,
        }

    def _paid_in_database(self, ids: list[int]) -> int | str:
        """PAID among ``ids`` straight from the database (the API is down): the sync's work."""
        try:
            with psycopg.connect(self.stack.database_url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM appointments_appointment "
                    "WHERE id = ANY(%s) AND status = 'PAID'",
                    (ids,),
                ).fetchone()
        except psycopg.Error as error:
            return f"n/a ({type(error).__name__})"
        return int(row[0]) if row else 0

    def redelivered(self) -> int | str:
        """Webhook events the emulator delivered after at least one failed attempt."""
        try:
            events = self.emulator.control("GET", "webhooks")["events"]
        except (KeyError, ValueError, OSError) as error:
            return f"n/a ({type(error).__name__})"
        return sum(
            1
            for event in events
            if event.get("status") == "DELIVERED"
            and any(a.get("statusCode") != 200 for a in event.get("attempts") or [])
        )
