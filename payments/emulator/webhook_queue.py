"""One webhook queue (per configuration) and its events; used by ``webhooks.py``."""

from __future__ import annotations

import dataclasses
import logging
import time

from .common import JsonObject
from .config import EmulatorConfig

logger = logging.getLogger("payments.emulator.webhooks")

# Asaas's queue penalty: delay before the next try after the n-th consecutive failure.
PENALTY_SECONDS = (0, 30, 60, 210, 300, 900, 1500, 3600, 3600, 3600, 3600, 3600, 7200, 7200, 10800)


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
    queue_id: str
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
            "webhook": self.queue_id,
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


class WebhookQueue:
    """Settings and backlog of one webhook configuration (caller holds the dispatcher lock)."""

    def __init__(self, queue_id: str, account_id: str | None, url: str | None) -> None:
        self.id = queue_id
        self.account_id = account_id  # None: every account's events (the default queue)
        self.url = url
        self.token: str | None = None
        self.send_type = "SEQUENTIALLY"
        self.enabled = True
        self.events: frozenset[str] | None = None  # None: every event
        self.interrupted = False
        self.consecutive_failures = 0
        self.items: list[WebhookEvent] = []
        self.in_flight = 0

    def accepts(self, event: str, account_id: str) -> bool:
        if self.account_id is not None and self.account_id != account_id:
            return False
        return self.enabled and (self.events is None or event in self.events)

    def idle(self) -> bool:
        return self.in_flight == 0 and (not self.items or self.interrupted or not self.url)

    def penalized(self) -> int:
        return sum(1 for event in self.items if event.failures > 0)

    def clear(self) -> None:
        self.items.clear()
        self.interrupted = False
        self.consecutive_failures = 0

    def resume(self) -> None:
        self.interrupted = False
        self.consecutive_failures = 0
        for event in self.items:
            event.failures, event.next_at = 0, 0.0

    def remove_backoff(self) -> None:
        for event in self.items:
            event.next_at = 0.0

    def render(self) -> JsonObject:
        return {
            "id": self.id,
            "accountId": self.account_id,
            "url": self.url,
            "sendType": self.send_type,
            "enabled": self.enabled,
            "interrupted": self.interrupted,
            "consecutiveFailures": self.consecutive_failures,
            "pending": len(self.items),
            "penalizedRequestsCount": self.penalized(),
        }

    def due(
        self, moment: float, newest_first: bool, parallelism: int
    ) -> tuple[list[WebhookEvent], float | None]:
        if self.interrupted or not self.url or not self.items:
            return [], None
        ordered = list(reversed(self.items)) if newest_first else self.items
        if self.send_type == "SEQUENTIALLY":
            if self.in_flight:
                return [], None
            candidates, capacity = ordered[:1], 1
        else:
            candidates = [e for e in ordered if not e.in_flight]
            capacity = parallelism - self.in_flight
        due = [e for e in candidates if e.next_at <= moment][: max(0, capacity)]
        if due:
            return due, None
        waits = [e.next_at - moment for e in candidates]
        return [], (min(waits) if waits and capacity > 0 else None)

    def record(
        self, event: WebhookEvent, attempt: Attempt, config: EmulatorConfig, duplicate: bool
    ) -> None:
        self.in_flight -= 1
        if event not in self.items:  # reset() while in flight
            return
        if attempt.status_code == 200:
            event.deliveries += 1
            event.failures = 0
            self.consecutive_failures = 0
            if duplicate and not event.duplicated:
                event.duplicated = True
                event.next_at = 0.0
                return
            event.status = "DELIVERED"
            self.items.remove(event)
            return
        event.failures += 1
        self.consecutive_failures += 1
        if self.consecutive_failures >= config.webhook_max_failures:
            self.interrupted = True
            logger.warning(
                "webhook queue %s interrupted after %d failures", self.id, self.consecutive_failures
            )
        penalty = PENALTY_SECONDS[min(event.failures, len(PENALTY_SECONDS)) - 1]
        event.next_at = time.monotonic() + penalty * config.webhook_retry_scale
