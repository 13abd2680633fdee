"""The outbound Asaas call a professional can trigger (``payment_status?refresh=true``) is
rate-limited per user: the platform's single Asaas key is shared by everyone."""

from __future__ import annotations

from core.api.throttling import UserRateThrottle


class AsaasRefreshThrottle(UserRateThrottle):
    """``THROTTLE_ASAAS_REFRESH_RATE`` (10/minute by default) per professional user."""

    scope = "asaas_refresh"


def wants_refresh(raw: str | None) -> bool:
    return raw in {"true", "1"}
