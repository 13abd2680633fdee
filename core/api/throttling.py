"""Throttles whose counter costs one cache round trip per request.

DRF's throttles keep each caller's request history (a list of timestamps) in the cache: a GET
and a SET per request. On the Redis cache (``core.degraded.FailOpenRedisCache``) these count
in a *fixed window* instead: ``SET NX EX`` + ``INCR`` + ``PTTL`` in one pipeline; the window
starts with the caller's first request and lasts the rate's period, and ``Retry-After`` is
what is left of it. While Redis is unreachable throttling lets requests through (degraded, not
down). On other caches (tests, development) DRF's own algorithm runs unchanged.
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling as drf


class OneTripThrottleMixin:
    def allow_request(self, request: Any, view: Any) -> bool:
        throttle: Any = self
        hit_window = getattr(throttle.cache, "hit_window", None)
        if hit_window is None:
            allowed: bool = super().allow_request(request, view)  # type: ignore[misc]
            return allowed
        if throttle.rate is None:
            return True
        throttle.key = throttle.get_cache_key(request, view)
        if throttle.key is None:
            return True
        # A key of its own: DRF's throttles (a deploy in progress, the admin login's) keep a
        # pickled list under the plain key, which INCR cannot count.
        hit = hit_window(f"{throttle.key}:window", int(throttle.duration))
        if hit is None:  # the cache is down: fail open
            return True
        count, left = hit
        self._window_left = left
        return bool(count <= throttle.num_requests)

    def wait(self) -> float | None:
        left = getattr(self, "_window_left", None)
        if left is not None:
            return float(left)
        waited: float | None = super().wait()  # type: ignore[misc]
        return waited


class AnonRateThrottle(OneTripThrottleMixin, drf.AnonRateThrottle):
    pass


class UserRateThrottle(OneTripThrottleMixin, drf.UserRateThrottle):
    pass


class ScopedRateThrottle(OneTripThrottleMixin, drf.ScopedRateThrottle):
    """``ScopedRateThrottle``: ``throttle_scope`` of the view picks the rate."""

    def allow_request(self, request: Any, view: Any) -> bool:
        # ScopedRateThrottle resolves the view's scope and rate here, then calls its parent.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return OneTripThrottleMixin.allow_request(self, request, view)
