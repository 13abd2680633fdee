"""Throttles whose counter costs one cache round trip per request — none of its own for an
authenticated user, whose counter is counted with the snapshot read (``user_window_for``).

DRF's throttles keep each caller's request history (a list of timestamps) in the cache: a GET
and a SET per request. On the Redis cache (``core.degraded.FailOpenRedisCache``) these count
in a *fixed window* instead: ``SET NX EX`` + ``INCR`` + ``PTTL`` in one round trip; the window
starts with the caller's first request and lasts the rate's period, and ``Retry-After`` is
what is left of it. While Redis is unreachable throttling lets requests through (degraded, not
down). On other caches (tests, development) DRF's own algorithm runs unchanged.
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling as drf

#: Hits already counted for this request, by window key (see ``user_window_for``).
PREHITS_ATTRIBUTE = "_throttle_prehits"
#: A prehit that could not be counted (Redis unreachable): the throttle lets it through.
NOT_COUNTED = None


def window_key(key: str) -> str:
    # A key of its own: DRF's throttles (a deploy in progress, the admin login's) keep a
    # pickled list under the plain key, which INCR cannot count.
    return f"{key}:window"


def user_window_for(request: Any, user_id: Any) -> tuple[str, int] | None:
    """The user throttle's counter (window key, seconds) that the view of ``request`` will
    count for ``user_id``, or None. Authentication reads the user's snapshot and counts this
    hit in the same Redis round trip (``prehit_store``); the throttle then uses the result.
    A request refused by a permission after authenticating is therefore counted too."""
    from rest_framework.views import APIView  # (not at import: DRF's settings import us)

    view = (getattr(request, "parser_context", None) or {}).get("view")
    if view is None or type(view).get_throttles is not APIView.get_throttles:
        # A view choosing its throttles itself may look at the request's user to do so (the
        # payment refresh does): asking it now, mid-authentication, would recurse. Such a
        # view counts its hits in the throttle phase, one round trip of their own.
        return None
    return user_window_of(view, user_id)


def user_window_of(view: Any, user_id: Any) -> tuple[str, int] | None:
    """The user throttle's counter (window key, seconds) of ``view`` (a view or its class)
    for ``user_id``, or None when its throttles include no user rate."""
    for throttle_class in view.throttle_classes:
        throttle = throttle_class()
        if type(throttle) is UserRateThrottle and throttle.rate is not None:
            key = throttle.cache_format % {"scope": throttle.scope, "ident": user_id}
            seconds = throttle.duration  # type: ignore[attr-defined]  # (not in DRF's stubs)
            return window_key(key), int(seconds)
    return None


def prehit_store(request: Any, window: str, hit: tuple[int, float] | None) -> None:
    prehits = getattr(request, PREHITS_ATTRIBUTE, None)
    if prehits is None:
        prehits = {}
        setattr(request, PREHITS_ATTRIBUTE, prehits)
    prehits[window] = hit


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
        window = window_key(throttle.key)
        prehits = getattr(request, PREHITS_ATTRIBUTE, None) or {}
        if window in prehits:  # counted with the user's snapshot, in the same round trip
            hit = prehits.pop(window)
        else:
            hit = hit_window(window, int(throttle.duration))
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


def anonymous_window_of(view: Any, request: Any) -> tuple[str, int, int] | None:
    """The scoped throttle's counter of ``view`` for the anonymous caller of ``request``
    (window key, seconds, hits allowed), as ``ScopedRateThrottle.allow_request`` counts it
    for a view that authenticates nobody; None when it counts nothing."""
    if ScopedRateThrottle not in view.throttle_classes:
        return None
    throttle = ScopedRateThrottle()
    throttle.scope = getattr(view, throttle.scope_attr, None)
    if not throttle.scope:
        return None
    throttle.rate = throttle.get_rate()
    if throttle.rate is None:
        return None
    allowed, seconds = throttle.parse_rate(throttle.rate)
    key = throttle.cache_format % {"scope": throttle.scope, "ident": throttle.get_ident(request)}
    return window_key(key), int(seconds or 0), int(allowed or 0)
