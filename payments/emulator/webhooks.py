"""Webhook dispatcher: one queue per webhook configuration, POSTing events like Asaas does.

* Body ``{"id": "evt_<32 hex>&<n>", "event": ..., "dateCreated": "YYYY-MM-DD HH:MM:SS",
  "payment": {...}}`` plus ``additionalInfo`` for split events; the id stays identical on
  every redelivery (and is the same in every queue that receives the event).
* Header ``asaas-access-token`` only when a token is configured; only HTTP 200 counts as
  delivered; redirects are not followed.
* Queues: ``default`` (the CLI/``/_emulator/config`` settings; receives every account's
  events, records them as NOT_SENT when it has no URL) and one per ``/v3/webhooks``
  configuration (its account's events, filtered by ``events``, only while ``enabled``).
* After a failure the event waits ``PENALTY_SECONDS[failures - 1] * retry_scale``; after
  ``max_failures`` (15) consecutive failures that queue alone pauses (``interrupted``).
* SEQUENTIALLY: head-of-line, strict order. NON_SEQUENTIALLY: up to ``webhook_parallelism``
  deliveries in flight, no ordering guarantee.
* Faults: ``duplicate_webhooks`` sends each event a second time after its first 200;
  ``reorder_webhooks`` picks the newest queued event first.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from .common import Json, JsonObject, dumps, fmt_datetime
from .config import SEND_TYPES, EmulatorConfig
from .faults import Faults
from .webhook_queue import Attempt, WebhookEvent, WebhookQueue

logger = logging.getLogger("payments.emulator.webhooks")

DEFAULT_QUEUE = "default"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class WebhookDispatcher:
    def __init__(
        self, config: EmulatorConfig, faults: Faults, now: Callable[[], dt.datetime]
    ) -> None:
        self.config = config
        self.faults = faults
        self._now = now
        self._cond = threading.Condition()
        self._events: list[WebhookEvent] = []
        self._sequence = 100_000_000 + secrets.randbelow(800_000_000)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.default = WebhookQueue(DEFAULT_QUEUE, None, config.webhook_url)
        self.default.token = config.webhook_token
        self.default.send_type = config.webhook_send_type
        self.queues: dict[str, WebhookQueue] = {DEFAULT_QUEUE: self.default}

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
        """Change the default queue: webhook_url, _token, _send_type and/or _retry_scale."""
        with self._cond:
            if "webhook_send_type" in changes:
                send_type = str(changes["webhook_send_type"])
                if send_type not in SEND_TYPES:
                    raise ValueError(f"webhook_send_type must be one of {SEND_TYPES}")
                self.config.webhook_send_type = self.default.send_type = send_type
            if "webhook_url" in changes:
                url = str(changes["webhook_url"] or "") or None
                if url and not url.startswith(("http://", "https://")):
                    raise ValueError("webhook_url must be an http(s) URL")
                self.config.webhook_url = self.default.url = url
            if "webhook_token" in changes:
                token = str(changes["webhook_token"] or "") or None
                self.config.webhook_token = self.default.token = token
            if "webhook_retry_scale" in changes:
                self.config.webhook_retry_scale = float(str(changes["webhook_retry_scale"]))
            self._cond.notify_all()

    def upsert(self, record: JsonObject) -> None:
        """Create or update the queue of a ``/v3/webhooks`` configuration record."""
        with self._cond:
            queue_id = str(record["id"])
            queue = self.queues.get(queue_id)
            if queue is None:
                queue = WebhookQueue(queue_id, str(record["accountId"]), None)
                self.queues[queue_id] = queue
            queue.url = str(record["url"])
            token = record.get("authToken")
            queue.token = str(token) if token else None
            queue.send_type = str(record["sendType"])
            queue.enabled = record.get("enabled") is not False
            events = record.get("events")
            queue.events = frozenset(str(e) for e in events) if isinstance(events, list) else None
            if record.get("interrupted") is True:
                queue.interrupted = True
            elif queue.interrupted:
                queue.resume()
            self._cond.notify_all()

    def remove(self, queue_id: str) -> None:
        with self._cond:
            self.queues.pop(queue_id, None)
            self._cond.notify_all()

    def state_of(self, queue_id: str) -> tuple[bool, int]:
        """(interrupted, penalizedRequestsCount) of a configuration's queue."""
        with self._cond:
            queue = self.queues.get(queue_id)
            return (queue.interrupted, queue.penalized()) if queue else (False, 0)

    def remove_backoff(self, queue_id: str) -> None:
        with self._cond:
            queue = self.queues.get(queue_id)
            if queue is not None:
                queue.remove_backoff()
            self._cond.notify_all()

    def pause(self, queue_id: str = DEFAULT_QUEUE) -> None:
        with self._cond:
            queue = self.queues.get(queue_id)
            if queue is not None:
                queue.interrupted = True
            self._cond.notify_all()

    def resume(self, queue_id: str = DEFAULT_QUEUE) -> None:
        """Un-pause a queue; its backlog is sent again right away, in stored order."""
        with self._cond:
            queue = self.queues.get(queue_id)
            if queue is not None:
                queue.resume()
            self._cond.notify_all()

    @property
    def interrupted(self) -> bool:
        return self.default.interrupted

    def reset(self) -> None:
        with self._cond:
            self._events.clear()
            for queue_id in [q for q in self.queues if q != DEFAULT_QUEUE]:
                del self.queues[queue_id]
            self.default.clear()
            self._cond.notify_all()

    def enqueue(
        self, event: str, payment: JsonObject, account_id: str, extra: JsonObject | None = None
    ) -> None:
        with self._cond:
            self._sequence += 1
            event_id = f"evt_{secrets.token_hex(16)}&{self._sequence}"
            created = fmt_datetime(self._now())
            payload: JsonObject = {"id": event_id, "event": event, "dateCreated": created}
            payload["payment"] = payment
            payload.update(extra or {})
            for queue in self.queues.values():
                if not queue.accepts(event, account_id):
                    continue
                record = WebhookEvent(event_id, event, created, payload, queue.id)
                self._events.append(record)
                if queue.url:
                    queue.items.append(record)
                else:
                    record.status = "NOT_SENT"
            self._cond.notify_all()

    def _idle(self) -> bool:
        return all(queue.idle() for queue in self.queues.values())

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or in flight (or every busy queue is paused)."""
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
            queues: list[Json] = [queue.render() for queue in self.queues.values()]
            return {
                "url": self.default.url,
                "hasAuthToken": bool(self.default.token),
                "sendType": self.default.send_type,
                "interrupted": self.default.interrupted,
                "consecutiveFailures": self.default.consecutive_failures,
                "pending": sum(len(q.items) for q in self.queues.values()),
                "inFlight": sum(q.in_flight for q in self.queues.values()),
                "idle": self._idle(),
                "queues": queues,
                "events": events,
            }

    # --- worker --------------------------------------------------------------------------------

    def _due(self) -> tuple[list[WebhookEvent], float | None]:
        """Events to send now and, if none, how long to sleep (None = until notified)."""
        moment = time.monotonic()
        batch: list[WebhookEvent] = []
        waits: list[float] = []
        for queue in self.queues.values():
            parallelism = max(1, self.config.webhook_parallelism)
            due, wait = queue.due(moment, self.faults.reorder_webhooks, parallelism)
            batch += due
            if wait is not None:
                waits.append(wait)
        return batch, (min(waits) if waits and not batch else None)

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
                jobs = []
                for event in batch:
                    queue = self.queues[event.queue_id]
                    event.in_flight = True
                    queue.in_flight += 1
                    jobs.append((event, queue.url or "", queue.token))
            for event, url, token in jobs:
                threading.Thread(
                    target=self._deliver, args=(event, url, token), daemon=True
                ).start()

    def _deliver(self, event: WebhookEvent, url: str, token: str | None) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Asaas-Emulator/1.0"}
        if token:
            headers["asaas-access-token"] = token
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked on configure
            url, data=dumps(event.payload).encode("utf-8"), headers=headers, method="POST"
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with _OPENER.open(request, timeout=self.config.webhook_timeout) as response:
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
            attempt = Attempt(fmt_datetime(self._now()), status, error, elapsed)
            queue = self.queues.get(event.queue_id)
            event.attempts.append(attempt)
            event.in_flight = False
            if queue is not None:
                queue.record(event, attempt, self.config, self.faults.duplicate_webhooks)
            self._cond.notify_all()
