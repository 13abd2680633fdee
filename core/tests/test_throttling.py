"""Throttling: per anonymous IP, per user, and the token endpoints and the Asaas webhook on
their own scopes; counters in the cache; 429 documented in the schema.

Setting small rates in a test: DRF copies ``DEFAULT_THROTTLE_RATES`` into
``SimpleRateThrottle.THROTTLE_RATES`` once, when ``rest_framework.throttling`` is imported.
Overriding ``settings.REST_FRAMEWORK`` fires ``setting_changed``, which makes DRF reload its
``api_settings`` — but the class attribute keeps pointing at the old dict, so the throttles
would still use the configured rates. ``small_rates`` therefore patches the class attribute
(restored by ``monkeypatch``) and overrides the setting too, so both views agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core.tests.access_fixtures import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SCHEMA = "/api/schema/?format=json"
TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
WEBHOOK = "/api/payments/webhooks/asaas/"
PROTECTED = "/api/professionals/"
SetRates = Callable[..., dict[str, str]]


@pytest.fixture
def small_rates(settings: Any, monkeypatch: pytest.MonkeyPatch) -> SetRates:
    def set_rates(**overrides: str) -> dict[str, str]:
        rates: dict[str, str] = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
        return rates

    return set_rates


def assert_throttled(response: Any, *, period: int = 60) -> None:
    assert response.status_code == 429
    assert set(response.json()) == {"detail"}
    assert 0 < int(response["Retry-After"]) <= period


def statuses(send: Callable[[], Any], times: int) -> list[int]:
    return [send().status_code for _ in range(times)]


def test_anonymous_ip_is_throttled(small_rates: SetRates) -> None:
    """Anonymous callers only reach the open endpoints (the rest answer 401 before any
    throttle runs); the documentation is the one governed by the "anon" rate."""
    small_rates(anon="2/minute")
    client = APIClient(REMOTE_ADDR="198.51.100.7")

    assert statuses(lambda: client.get(SCHEMA), 2) == [200, 200]
    assert_throttled(client.get(SCHEMA))
    # Another address has its own counter; a forged X-Forwarded-For does not give one
    # (no proxy is trusted unless NUM_PROXIES says so).
    assert client.get(SCHEMA, REMOTE_ADDR="198.51.100.8").status_code == 200
    assert client.get(SCHEMA, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    assert cache.get("throttle_anon_198.51.100.7") is not None


def test_each_user_is_throttled_on_their_own_counter(small_rates: SetRates) -> None:
    small_rates(user="3/minute")
    first, second = make_user("um", is_staff=True), make_user("dois", is_staff=True)
    client, other = APIClient(), APIClient()
    client.force_authenticate(user=first)
    other.force_authenticate(user=second)

    assert statuses(lambda: client.get(PROTECTED), 3) == [200, 200, 200]
    assert_throttled(client.get(PROTECTED))
    assert other.get(PROTECTED).status_code == 200
    # Same user from another address: still throttled (the key is the user, not the IP).
    assert client.get(PROTECTED, REMOTE_ADDR="192.0.2.50").status_code == 429


def test_counters_live_in_the_cache(small_rates: SetRates) -> None:
    small_rates(user="2/minute")
    user = make_user("contado", is_staff=True)
    client = APIClient()
    client.force_authenticate(user=user)

    statuses(lambda: client.get(PROTECTED), 2)
    history = cache.get(f"throttle_user_{user.pk}")
    assert isinstance(history, list)
    assert len(history) == 2
    assert client.get(PROTECTED).status_code == 429

    cache.clear()

    assert client.get(PROTECTED).status_code == 200


def test_token_endpoints_have_their_own_rate(small_rates: SetRates) -> None:
    """The "auth" scope: shared by obtain/refresh/verify, per IP, independent of "anon"."""
    small_rates(auth="3/minute", anon="1/minute")
    make_user("operadora", is_staff=True)
    client = APIClient()
    wrong = {"username": "operadora", "password": "errada"}

    assert statuses(lambda: client.post(TOKEN, wrong, format="json"), 2) == [401, 401]
    assert client.post(REFRESH, {"refresh": "x.y.z"}, format="json").status_code == 401
    # The right password does not get through a spent rate either.
    assert_throttled(
        client.post(TOKEN, {"username": "operadora", "password": PASSWORD}, format="json")
    )
    assert_throttled(client.post(REFRESH, {"refresh": "x.y.z"}, format="json"))
    assert cache.get("throttle_auth_127.0.0.1") is not None
    # Another address may still log in.
    other = APIClient(REMOTE_ADDR="198.51.100.20")
    ok = other.post(TOKEN, {"username": "operadora", "password": PASSWORD}, format="json")
    assert ok.status_code == 200


def test_webhook_has_its_own_rate(small_rates: SetRates, settings: Any) -> None:
    small_rates(asaas_webhook="2/minute", anon="1/minute")
    client = APIClient()
    token = {"HTTP_ASAAS_ACCESS_TOKEN": settings.ASAAS_WEBHOOK_TOKEN}

    # Bad tokens count too (the throttle runs before the token check).
    assert statuses(lambda: client.post(WEBHOOK, {}, format="json"), 2) == [401, 401]
    assert_throttled(client.post(WEBHOOK, {"id": "evt_1"}, format="json", **token))
    assert cache.get("throttle_asaas_webhook_127.0.0.1") is not None


def test_the_default_rates_are_configured() -> None:
    rates = api_settings.DEFAULT_THROTTLE_RATES
    assert set(rates) >= {"anon", "user", "auth", "asaas_webhook"}
    assert all(rates[scope] for scope in ("anon", "user", "auth", "asaas_webhook"))
    classes = [getattr(cls, "__name__", cls) for cls in api_settings.DEFAULT_THROTTLE_CLASSES]
    assert classes == ["AnonRateThrottle", "UserRateThrottle"]


def test_429_401_403_are_documented(api_client: APIClient) -> None:
    response = api_client.get(SCHEMA)
    assert response.status_code == 200
    schema = json.loads(response.content)
    # The calendar feed: the secret token in the path is the credential.
    open_paths = {
        TOKEN,
        REFRESH,
        "/api/auth/token/verify/",
        "/api/auth/logout/",
        WEBHOOK,
        "/api/calendar/{token}.ics",
    }

    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "429" in responses, where
        security = operation.get("security") or []
        secured = bool(security) and {} not in security
        assert secured == (path not in open_paths), where
        if secured:
            assert {"401", "403"} <= set(responses), where
            assert {"jwtAuth": []} in security, where
    detail = responses["429"]["content"]["application/json"]["schema"]
    assert detail == {"$ref": "#/components/schemas/DetailError"}
