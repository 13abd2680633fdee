"""Webhook dispatcher: a background thread POSTing queued events like Asaas does.

* Body ``{"id": "evt_<32 hex>&<n>", "event": ..., "dateCreated": "YYYY-MM-DD HH:MM:SS",
  "payment": {...}}``; the id stays identical on every redelivery.
* Header ``asaas-access-token`` only when a token is configured; 10 s timeout; redirects are
  not followed; only HTTP 200 counts as delivered.
* After a failure the event waits ``PENALTY_SECONDS[failures - 1] * retry_scale``; after
  ``max_failures`` (15) consecutive failures the queue pauses (``interrupted``) until
  ``resume()``.
* SEQUENTIALLY: head-of-line, strict order. NON_SEQUENTIALLY: up to ``webhook_parallelism``
  deliveries in flight, no ordering guarantee.
* Faults: ``duplicate_webhooks`` sends each event a second time after its first 200;
  ``reorder_webhooks`` picks the newest queued event first.
* With no URL configured events are only recorded (status ``NOT_SENT``).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request

from .common import Json, JsonObject, dumps, fmt_datetime, now
from .config import SEND_TYPES, EmulatorConfig
from .faults import Faults

logger = logging.getLogger("payments.emulator.webhooks")

# Asaas's queue penalty: delay before the next try after the n-th consecutive failure.
PENALTY_SECONDS = (0, 30, 60, 210, 300, 900, 1500, 3600, 3600, 3600, 3600, 3600, 7200, 7200, 10800)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclasses.dataclass
class Attempt:
    at: str
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclasses.dataclass
class WebhookEvent:
    id: str
    event: str
    date_created: str
    payload: JsonObject
    status: str = "PENDING"  # PENDING | DELIVERED | NOT_SENT
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    failures: int = 0
    deliveries: int = 0
    next_at: float = 0.0
    in_flight: bool = False
    duplicated: bool = False

    def render(self) -> JsonObject:
        payment = self.payload.get("payment")
        return {
            "id": self.id,
            "event": self.event,
            "dateCreated": self.date_created,
            "paymentId": payment.get("id") if isinstance(payment, dict) else None,
            "status": self.status,
            "deliveries": self.deliveries,
            "attempts": [
                {
                    "at": a.at,
                    "statusCode": a.status_code,
                    "error": a.error,
                    "durationMs": a.duration_ms,
                }
                for a in self.attempts
            ],
            "payload": self.payload,
        }


class WebhookDispatcher:
    def __init__(self, config: EmulatorConfig, faults: Faults) -> None:
        self.config = config
        self.faults = faults
        self._cond = threading.Condition()
        self._events: list[WebhookEvent] = []
        self._queue: list[WebhookEvent] = []
        self._in_flight = 0
        self._sequence = 100_000_000 + secrets.randbelow(800_000_000)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.interrupted = False
        self.consecutive_failures = 0

    # --- control -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="asaas-emulator-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def configure(self, changes: JsonObject) -> None:
        """Change webhook_url, webhook_token, webhook_send_type and/or webhook_retry_scale."""
        with self._cond:
            if "webhook_send_type" in changes:
                send_type = str(changes["webhook_send_type"])
                if send_type not in SEND_TYPES:
                    raise ValueError(f"webhook_send_type must be one of {SEND_TYPES}")
                self.config.webhook_send_type = send_type
            if "webhook_url" in changes:
                url = str(changes["webhook_url"] or "") or None
                if url and not url.startswith(("http://", "https://")):
                    raise ValueError("webhook_url must be an http(s) URL")
                self.config.webhook_url = url
            if "webhook_token" in changes:
                self.config.webhook_token = str(changes["webhook_token"] or "") or None
            if "webhook_retry_scale" in changes:
                self.config.webhook_retry_scale = float(str(changes["webhook_retry_scale"]))
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self.interrupted = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Un-pause the queue; the backlog is sent again right away, in stored order."""
        with self._cond:
            self.interrupted = False
            self.consecutive_failures = 0
            for event in self._queue:
                event.failures, event.next_at = 0, 0.0
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            self._events.clear()
            self._queue.clear()
            self.interrupted = False
            self.consecutive_failures = 0
            self._cond.notify_all()

    def enqueue(self, event: str, payment: JsonObject) -> WebhookEvent:
        with self._cond:
            self._sequence += 1
            record = WebhookEvent(
                id=f"evt_{secrets.token_hex(16)}&{self._sequence}",
                event=event,
                date_created=fmt_datetime(now()),
                payload={},
            )
            record.payload = {
                "id": record.id,
                "event": event,
                "dateCreated": record.date_created,
                "payment": payment,
            }
            self._events.append(record)
            if self.config.webhook_url:
                self._queue.append(record)
            else:
                record.status = "NOT_SENT"
            self._cond.notify_all()
            return record

    def _idle(self) -> bool:
        blocked = self.interrupted or not self.config.webhook_url
        return self._in_flight == 0 and (not self._queue or blocked)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or in flight (or the queue is paused)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def snapshot(self) -> JsonObject:
        with self._cond:
            events: list[Json] = [event.render() for event in self._events]
            return {
                "url": self.config.webhook_url,
                "hasAuthToken": bool(self.config.webhook_token),
                "sendType": self.config.webhook_send_type,
                "interrupted": self.interrupted,
                "consecutiveFailures": self.consecutive_failures,
                "pending": len(self._queue),
                "inFlight": self._in_flight,
                "idle": self._idle(),
                "events": events,
            }

    # --- worker --------------------------------------------------------------------------------

    def _due(self) -> tuple[list[WebhookEvent], float | None]:
        """Events to send now and, if none, how long to sleep (None = until notified)."""
        if self.interrupted or not self.config.webhook_url or not self._queue:
            return [], None
        moment = time.monotonic()
        ordered = list(reversed(self._queue)) if self.faults.reorder_webhooks else self._queue
        if self.config.webhook_send_type == "SEQUENTIALLY":
            if self._in_flight:
                return [], None
            candidates = ordered[:1]
            capacity = 1
        else:
            candidates = [e for e in ordered if not e.in_flight]
            capacity = max(1, self.config.webhook_parallelism) - self._in_flight
        due = [e for e in candidates if e.next_at <= moment][: max(0, capacity)]
        if due:
            return due, None
        waits = [e.next_at - moment for e in candidates]
        return [], (min(waits) if waits and capacity > 0 else None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    batch, wait = self._due()
                    if batch:
                        break
                    self._cond.wait(min(wait, 1.0) if wait is not None else 1.0)
                for event in batch:
                    event.in_flight = True
                    self._in_flight += 1
                sequential = self.config.webhook_send_type == "SEQUENTIALLY"
            for event in batch:
                if sequential:
                    self._deliver(event)
                else:
                    threading.Thread(target=self._deliver, args=(event,), daemon=True).start()

    def _deliver(self, event: WebhookEvent) -> None:
        with self._cond:
            url = self.config.webhook_url or ""
            token = self.config.webhook_token
            timeout = self.config.webhook_timeout
        headers = {"Content-Type": "application/json", "User-Agent": "Asaas-Emulator/1.0"}
        if token:
            headers["asaas-access-token"] = token
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in configure()
            url, data=dumps(event.payload).encode("utf-8"), headers=headers, method="POST"
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = int((time.monotonic() - started) * 1000)
        logger.info("webhook %s %s -> %s", event.event, event.id, status or error)
        with self._cond:
            self._record(event, Attempt(fmt_datetime(now()), status, error, elapsed))
            self._cond.notify_all()

    def _record(self, event: WebhookEvent, attempt: Attempt) -> None:
        event.attempts.append(attempt)
        event.in_flight = False
        self._in_flight -= 1
        if event not in self._queue:  # reset() while in flight
            return
        if attempt.status_code == 200:
            event.deliveries += 1
            event.failures = 0
            self.consecutive_failures = 0
            if self.faults.duplicate_webhooks and not event.duplicated:
                event.duplicated = True
                event.next_at = 0.0
                return
            event.status = "DELIVERED"
            self._queue.remove(event)
            return
        event.failures += 1
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.config.webhook_max_failures:
            self.interrupted = True
            logger.warning("webhook queue interrupted after %d failures", self.consecutive_failures)
        penalty = PENALTY_SECONDS[min(event.failures, len(PENALTY_SECONDS)) - 1]
        event.next_at = time.monotonic() + penalty * self.config.webhook_retry_scale
