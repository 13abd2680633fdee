"""Fault switches, settable from the command line and at runtime via ``/_emulator/faults``.

JSON shape (every key optional on POST; GET returns all of them)::

    {"error_rate": 0.0,                  # probability of a 500 before the operation runs
     "latency_ms": 0,                    # added to every API call
     "hang_after_create_seconds": 0.0,   # POST /v3/payments|customers: commit, then sleep
     "rate_limit": {"limit": 5, "window_seconds": 60} | null,   # fixed window per account
     "fail_next": 0,                     # the next N API calls answer 500
     "duplicate_webhooks": false,        # deliver each event twice (same event id)
     "reorder_webhooks": false}          # deliver queued events newest first
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass

from .common import ApiError, Json, JsonObject, to_decimal
from .config import EmulatorConfig

_RANDOM = secrets.SystemRandom()


@dataclass
class RateDecision:
    allowed: bool
    headers: dict[str, str]


class Faults:
    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, used)
        self.reset()

    def reset(self) -> None:
        config = self._config
        with self._lock:
            self.error_rate = config.error_rate
            self.latency_ms = config.latency_ms
            self.hang_after_create_seconds = config.hang_after_create_seconds
            self.rate_limit = config.rate_limit
            self.fail_next = config.fail_next
            self.duplicate_webhooks = config.duplicate_webhooks
            self.reorder_webhooks = config.reorder_webhooks
            self._windows.clear()

    def clear(self) -> None:
        """Switch every fault off (used by POST /_emulator/reset)."""
        with self._lock:
            self.error_rate = 0.0
            self.latency_ms = 0
            self.hang_after_create_seconds = 0.0
            self.rate_limit = None
            self.fail_next = 0
            self.duplicate_webhooks = False
            self.reorder_webhooks = False
            self._windows.clear()

    def snapshot(self) -> JsonObject:
        with self._lock:
            rate: Json = None
            if self.rate_limit is not None:
                rate = {"limit": self.rate_limit[0], "window_seconds": self.rate_limit[1]}
            return {
                "error_rate": self.error_rate,
                "latency_ms": self.latency_ms,
                "hang_after_create_seconds": self.hang_after_create_seconds,
                "rate_limit": rate,
                "fail_next": self.fail_next,
                "duplicate_webhooks": self.duplicate_webhooks,
                "reorder_webhooks": self.reorder_webhooks,
            }

    def update(self, data: JsonObject) -> None:
        """Apply a partial update; raises ApiError(400) on a bad value, changing nothing."""
        changes: dict[str, object] = {}
        for key, raw in data.items():
            if key in ("error_rate", "latency_ms", "hang_after_create_seconds", "fail_next"):
                number = to_decimal(raw)
                if number is None or number < 0 or (key == "error_rate" and number > 1):
                    raise ApiError(400, "invalid_fault", f"Valor inválido para {key}.")
                integral = key in ("latency_ms", "fail_next")
                changes[key] = int(number) if integral else float(number)
            elif key in ("duplicate_webhooks", "reorder_webhooks"):
                if not isinstance(raw, bool):
                    raise ApiError(400, "invalid_fault", f"Valor inválido para {key}.")
                changes[key] = raw
            elif key == "rate_limit":
                changes[key] = _parse_rate_limit(raw)
            else:
                raise ApiError(400, "invalid_fault", f"Falha desconhecida: {key}.")
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)
            if "rate_limit" in changes:
                self._windows.clear()

    # --- per-request checks ------------------------------------------------------------

    def latency(self) -> float:
        with self._lock:
            return self.latency_ms / 1000.0

    def hang_seconds(self) -> float:
        with self._lock:
            return self.hang_after_create_seconds

    def should_fail(self) -> bool:
        """True when this API call must answer 500 (``fail_next`` first, then ``error_rate``)."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return self.error_rate > 0 and _RANDOM.random() < self.error_rate

    def take_rate_slot(self, key: str) -> RateDecision | None:
        """Count one request against ``key``'s fixed window; None when no limit is set."""
        with self._lock:
            if self.rate_limit is None:
                return None
            limit, window = self.rate_limit
            moment = time.monotonic()
            start, used = self._windows.get(key, (moment, 0))
            if moment - start >= window:
                start, used = moment, 0
            allowed = used < limit
            if allowed:
                used += 1
            self._windows[key] = (start, used)
            reset = max(0, math.ceil(window - (moment - start)))
            headers = {
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": str(limit - used),
                "RateLimit-Reset": str(reset),
            }
            return RateDecision(allowed, headers)


def _parse_rate_limit(raw: Json) -> tuple[int, float] | None:
    if raw is None or raw is False:
        return None
    if isinstance(raw, dict):
        limit = to_decimal(raw.get("limit"))
        window = to_decimal(raw.get("window_seconds", 60))
        if limit is not None and window is not None and limit >= 0 and window > 0:
            return int(limit), float(window)
    raise ApiError(400, "invalid_fault", "rate_limit deve ser {limit, window_seconds} ou null.")


def parse_rate_limit_option(text: str) -> tuple[int, float]:
    """CLI form ``LIMIT/WINDOW_SECONDS`` (e.g. ``25/60``) or just ``LIMIT`` (60 s window)."""
    limit, _, window = text.partition("/")
    return int(limit), float(window or 60)
