"""The floor is mounted by the bench settings' urlconf only, never by production URLs."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        routes.append(route)
        if isinstance(pattern, URLResolver):
            routes.extend(_routes(pattern.url_patterns, route))
    return routes


def test_production_urls_have_no_floor() -> None:
    routes = _routes(get_resolver("core.urls").url_patterns)
    assert routes, "the production urlconf lists routes"
    assert not [route for route in routes if "floor" in route]
    with pytest.raises(Resolver404):
        resolve("/floor/professionals/", urlconf="core.urls")


def test_bench_urls_mount_the_floor_beside_the_product() -> None:
    assert resolve("/floor/professionals/", urlconf="bench.urls").url_name == "floor-professionals"
    assert resolve("/floor/webhook/", urlconf="bench.urls").url_name == "floor-webhook"
    assert resolve("/api/professionals/", urlconf="bench.urls").url_name == "professional-list"


def test_bench_settings_point_at_the_bench_urls_and_counter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import os
    import sys

    saved = dict(os.environ)  # the bench module sets defaults in the environment
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused")
    sys.modules.pop("core.settings.bench", None)
    sys.modules.pop("core.settings.production", None)
    bench_settings = importlib.import_module("core.settings.bench")
    try:
        assert bench_settings.ROOT_URLCONF == "bench.urls"
        assert bench_settings.MIDDLEWARE[0] == "bench.sqlcount.SqlCountMiddleware"
        assert bench_settings.DEBUG is False
        assert bench_settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
        production = importlib.import_module("core.settings.production")
        assert production.ROOT_URLCONF == "core.urls"
        assert "bench.sqlcount.SqlCountMiddleware" not in production.MIDDLEWARE
    finally:
        sys.modules.pop("core.settings.bench", None)
        sys.modules.pop("core.settings.production", None)
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.django_db  # /health/ goes through Django's request signals (connection cleanup)
def test_floor_requests_bypass_the_middleware() -> None:
    """/floor/... is answered by the bare view: no middleware header (X-Request-ID)."""
    from django.test import RequestFactory

    from bench.wsgi import application

    def call(path: str) -> tuple[str, dict[str, str]]:
        environ = RequestFactory().get(path).environ
        captured: dict[str, object] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            captured["status"], captured["headers"] = status, dict(headers)

        list(application(environ, start_response))
        return str(captured["status"]), dict(captured["headers"])  # type: ignore[call-overload]

    status, headers = call("/floor/no-such-thing/")
    assert status.startswith("404")
    assert "X-Request-ID" not in headers
    status, headers = call("/health/")
    assert status.startswith("200")
    assert "X-Request-ID" in headers
