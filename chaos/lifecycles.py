"""(b) Webhook deliveries of real lifecycles, duplicated and shuffled, from concurrent senders.

The events are real: the emulator's webhooks are pointed at a capturing sink (an HTTP server
in this process that answers 200 and keeps the raw bodies) while the campaign drives the
payments through the emulator's sandbox calls (confirm, overdue, settle) and refunds; then the
webhooks point back at the app and the captured bodies are replayed to it, shuffled, 30 %
duplicated, by concurrent senders with the real token.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .campaign import Campaign
from .procs import WEBHOOK_PATH

log = logging.getLogger("chaos")

#: The control call that opens a chargeback (issue 7 adds it to the emulator). Probed on a
#: received payment: when it does not answer 2xx, chargebacks are left out of (b).
CHARGEBACK_OPEN = "payments/{id}/chargeback"


class _Sink(BaseHTTPRequestHandler):
    bodies: list[bytes]
    lock: threading.Lock

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.lock:
            self.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def capturing_sink() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Sink", (_Sink,), {"bodies": bodies, "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sink", bodies
    finally:
        server.shutdown()
        server.server_close()


class Driver:
    """Moves payments along their lifecycles at the emulator (as Asaas, with the API key)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.emulator = campaign.emulator
        self.chargeback: bool | None = None  # None: not probed yet
        self.calls: Counter[str] = Counter()

    def _do(self, label: str, path: str, **body: Any) -> bool:
        response = self.emulator.asaas("POST", path, **body)
        self.calls[f"{label} {response.status_code}"] += 1
        return response.ok

    def confirm(self, pid: str) -> bool:
        return self._do("confirm", f"sandbox/payment/{pid}/confirm")

    def overdue(self, pid: str) -> bool:
        return self._do("overdue", f"sandbox/payment/{pid}/overdue")

    def refund(self, pid: str, value: str | None = None) -> bool:
        body = {"value": value} if value else {}
        return self._do("refund" if value else "refund-full", f"payments/{pid}/refund", **body)

    def _control(self, label: str, path: str, **body: Any) -> bool:
        response = self.emulator.control_call("POST", path, **body)
        self.calls[f"{label} {response.status_code}"] += 1
        return response.ok

    def settle(self, pid: str) -> bool:
        return self._control("settle", f"payments/{pid}/settle")

    def probe_chargeback(self, pid: str) -> bool:
        """Open a chargeback on a received payment; remember whether the call exists."""
        self.chargeback = self._control("chargeback", CHARGEBACK_OPEN.format(id=pid))
        return self.chargeback

    def chargeback_lifecycle(self, index: int, pid: str) -> bool:
        """Open, then (by ``index``) stop there, dispute, or dispute, win and reverse."""
        if not self._control("chargeback", CHARGEBACK_OPEN.format(id=pid)):
            return False
        stage = (index // 7) % 3
        base = CHARGEBACK_OPEN.format(id=pid)
        if stage >= 1:
            self._control("chargeback-dispute", f"{base}/dispute")
        if stage == 2:
            self._control("chargeback-resolve", f"{base}/resolve", result="WON")
            self._control("chargeback-reversal", f"{base}/reversal")
        return True

    def lifecycle(self, index: int, pid: str, method: str, value: str) -> None:
        """One of seven lifecycles, chosen by ``index``; card payments are also settled."""
        shape = index % 7
        if shape in (4, 5):
            self.overdue(pid)
            if shape == 4:
                return
        if not self.confirm(pid):
            return
        if method == "CREDIT_CARD" and index % 2:
            self.settle(pid)
        if shape == 1:
            self.refund(pid, "10.00")
            self.refund(pid, "15.00")
        elif shape == 2:
            self.refund(pid, "20.00")
            self.refund(pid, "5.50")
            self.refund(pid, "30.00")
            self.refund(pid)
        elif shape == 3:
            self.refund(pid)
        elif shape == 5:
            self.refund(pid, "12.34")
        elif shape == 6:
            opened = bool(self.chargeback) and self.chargeback_lifecycle(index, pid)
            if not opened:
                self.refund(pid, "40.00")
                self.refund(pid)


def scenario_b(campaign: Campaign) -> dict[str, Any]:
    plan = campaign.plan
    emulator = campaign.emulator
    unique_wanted = round(plan.b_deliveries * (1 - plan.b_duplicate_share))
    current = campaign.app.appointments()
    candidates = [
        item
        for item in current.values()
        if item["status"] == "PROCESSING" and item.get("asaas_payment_id")
    ]
    # About 2.6 lifecycle events per payment: book more when (a) left too few open charges.
    needed = int(unique_wanted / 2.4) + 1
    if len(candidates) < needed:
        extra = []
        for i in range(needed - len(candidates)):
            professional = campaign.professionals[i % len(campaign.professionals)]
            extra.append(
                campaign.record(
                    campaign.app.book(
                        professional=professional,
                        patient=campaign.patients[i % len(campaign.patients)],
                        start=campaign.next_slot(professional),
                        method=("PIX", "BOLETO", "CREDIT_CARD")[i % 3],
                    )
                )
            )
        ids = [r.appointment_id for r in extra if r.appointment_id]
        campaign.wait_charged(ids, timeout=plan.converge_seconds, label="(b) extra bookings")
        current = campaign.app.appointments()
        candidates = [
            item
            for item in current.values()
            if item["status"] == "PROCESSING" and item.get("asaas_payment_id")
        ]
    driver = Driver(campaign)
    started = time.monotonic()
    with capturing_sink() as (sink_url, bodies):
        emulator.flush(30)
        emulator.configure_webhooks(sink_url)
        used: list[int] = []
        for index, item in enumerate(candidates):
            if len(bodies) >= unique_wanted:
                break
            pid = str(item["asaas_payment_id"])
            if index % 7 == 6 and driver.chargeback is None:
                # Probe on a received payment of its own (then it is a lifecycle like any other).
                if driver.confirm(pid) and not driver.probe_chargeback(pid):
                    driver.refund(pid, "40.00")
                used.append(int(item["id"]))
                emulator.flush(10)
                continue
            driver.lifecycle(index, pid, str(item["payment_method"]), str(item["total_amount"]))
            used.append(int(item["id"]))
            if index % 20 == 0:
                emulator.flush(10)
        emulator.flush(30)
        captured = list(bodies)
    emulator.configure_webhooks(campaign.stack.web_url + WEBHOOK_PATH)
    # Every captured event is delivered: Asaas redelivers an event until it is answered 200,
    # so none is lost for good. (Cutting the list at unique_wanted dropped the last
    # lifecycle's tail — a refund nobody would ever be told about — whenever the webhooks in
    # flight when the loop stopped pushed the capture past it.)
    rng = random.Random(8)  # noqa: S311 - shuffling test traffic, not security
    repeats = max(plan.b_deliveries - len(captured), 0)
    duplicates = [rng.choice(captured) for _ in range(repeats)]
    deliveries = captured + duplicates
    rng.shuffle(deliveries)
    with ThreadPoolExecutor(plan.b_senders) as pool:
        statuses = Counter(pool.map(campaign.app.post_webhook, deliveries))
    campaign.timings["b_s"] = time.monotonic() - started
    time.sleep(5)  # deferred events are finished by a task 2 s later
    event_types = Counter(_event_type(body) for body in captured)
    log.info("(b) events %s, answers %s", dict(event_types), dict(statuses))
    return {
        "payments": len(used),
        "unique_events": len(captured),
        "deliveries": len(deliveries),
        "event_types": dict(event_types),
        "answers": {str(k): v for k, v in statuses.items()},
        "chargebacks": "on" if driver.chargeback else "off (emulator has no chargeback call yet)",
        "calls": dict(driver.calls),
        "appointments": used,
    }


def _event_type(body: bytes) -> str:
    import json

    try:
        return str(json.loads(body).get("event"))
    except ValueError:
        return "?"
