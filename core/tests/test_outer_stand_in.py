"""The fast paths come first in ``MIDDLEWARE`` and do the outer middleware's work on what they
serve (``core.api.outer``): the same answers as when the outer middleware wrapped them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished
from django.db import close_old_connections, connections
from django.http import HttpResponse
from django.test import Client
from django.urls import get_urlconf, set_urlconf

from core.api import outer
from core.api.outer import FAST, OUTER, StandInRefused, stand_in_check
from core.observability.request_id import HEADER as REQUEST_ID
from core.settings import base
from core.tests.test_body_parity import seeded  # noqa: F401 - the varied data, as a fixture
from core.tests.test_fast_read import (  # noqa: F401 - fixtures
    assert_same,
    bearer,
    both,
    data,
    outcome,
)

INNER = ["django.contrib.sessions.middleware.SessionMiddleware"]
Test = TypeVar("Test", bound=Callable[..., None])


def served(test: Test) -> Test:
    """A test of answers the fast paths serve: PostgreSQL, Redis and the production cache
    (the checks of the middleware list above need none of them)."""
    for mark in (
        pytest.mark.django_db,
        pytest.mark.postgres,
        pytest.mark.redis,
        pytest.mark.usefixtures("fast_path_cache"),
    ):
        test = mark(test)
    return test


def test_the_settings_put_the_fast_paths_first_and_stand_in_for_all_the_outer() -> None:
    assert tuple(base.MIDDLEWARE[:2]) == FAST
    assert stand_in_check(base.MIDDLEWARE, FAST[0]) == OUTER
    assert stand_in_check(base.MIDDLEWARE, FAST[1]) == OUTER
    # Tests and development run without WhiteNoise: only the others are stood in for.
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in stand_in_check(
        django_settings.MIDDLEWARE, FAST[0]
    )


@pytest.mark.parametrize(
    ("middleware", "reason"),
    [
        ([*FAST, OUTER[0], "x.Unknown", *OUTER[1:], *INNER], "another middleware comes before"),
        ([*FAST, OUTER[1], OUTER[0], *OUTER[2:], *INNER], "not in this order"),
        ([FAST[1], *OUTER], "is not in MIDDLEWARE"),
    ],
)
def test_a_list_it_cannot_stand_in_for_is_refused(middleware: list[str], reason: str) -> None:
    with pytest.raises(StandInRefused, match=reason):
        stand_in_check(middleware, FAST[0])


def test_fewer_outer_middleware_fewer_stood_in_for() -> None:
    assert stand_in_check([*FAST, OUTER[0], OUTER[4], *INNER], FAST[0]) == (OUTER[0], OUTER[4])
    assert stand_in_check([*FAST, *INNER], FAST[0]) == ()


@served
def test_refused_it_serves_nothing(
    data: dict[str, Any],  # noqa: F811
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The request id after the security middleware: out of order, so not stood in for.
    settings.MIDDLEWARE = [*FAST, OUTER[1], OUTER[0], *OUTER[2:5], OUTER[6], *INNER]
    with caplog.at_level(logging.WARNING, logger="core.api.fastread"):
        response = Client().get("/api/professionals/", HTTP_AUTHORIZATION=bearer(data["staff"]))
    assert response.status_code == 200
    assert outcome(response) == "not asked"
    assert "fast paths off" in caplog.text


@served
def test_the_clients_request_id_is_returned_and_logged(
    data: dict[str, Any],  # noqa: F811
) -> None:
    fast, whole = both(
        "/api/professionals/", bearer(data["staff"]), HTTP_X_REQUEST_ID="trace-123.abc"
    )
    assert outcome(fast) == "served"
    assert fast[REQUEST_ID] == whole[REQUEST_ID] == "trace-123.abc"
    assert fast.wsgi_request.request_id == "trace-123.abc"


@served
def test_a_request_passed_on_keeps_the_id_it_was_given(
    data: dict[str, Any],  # noqa: F811
) -> None:
    response = Client().get(
        "/api/professionals/?unknown=1", HTTP_AUTHORIZATION=bearer(data["staff"])
    )
    assert outcome(response) == "parameter unknown"
    assert len(response[REQUEST_ID]) == 32
    assert response[REQUEST_ID] == response.wsgi_request.request_id  # type: ignore[attr-defined]


@served
def test_an_https_redirect_is_the_whole_stacks(
    data: dict[str, Any],  # noqa: F811
    settings: Any,
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    fast, whole = both("/api/professionals/", bearer(data["staff"]))
    assert outcome(fast) == "the outer middleware answers"
    assert fast.status_code == 301
    assert_same(fast, whole)


@served
@pytest.mark.parametrize("path", ["/api/professionals/", "/api/appointments/"])
def test_over_https_the_security_headers_are_the_whole_stacks(
    data: dict[str, Any],  # noqa: F811
    settings: Any,
    path: str,
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    fast, whole = both(
        path,
        bearer(data["staff"]),
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_ORIGIN="https://app.example.com",
    )
    assert outcome(fast) == "served"
    assert fast["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert fast["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert fast["Cache-Control"] == "no-store"
    assert fast["X-Content-Type-Options"] == "nosniff"
    assert_same(fast, whole)


def test_the_stand_in_does_only_the_present_middlewares_work() -> None:
    bare = outer.OuterStandIn(())
    assert (bare.request_id, bare.security, bare.security_headers, bare.cors) == (
        False,
        None,
        False,
        None,
    )


def test_each_present_middleware_turns_on_its_own_work() -> None:
    only = outer.OuterStandIn((outer.REQUEST_ID, outer.SECURITY_HEADERS))
    assert (only.request_id, only.security, only.security_headers, only.cors) == (
        True,
        None,
        True,
        None,
    )
    full = outer.OuterStandIn(OUTER)
    assert full.request_id
    assert full.security_headers
    assert full.security is not None
    assert full.cors is not None


@served
@pytest.mark.parametrize(
    ("regex", "origin", "varies"),
    [
        (r"^/api/.*$", None, True),
        (r"^/api/.*$", "", True),  # an empty Origin is no Origin
        (r"^/admin/.*$", None, False),  # CORS off for the path: no Vary: origin
        (r"^/admin/.*$", "https://app.example.com", False),
    ],
)
def test_without_an_origin_cors_only_varies_on_it_where_it_is_enabled(
    data: dict[str, Any],  # noqa: F811
    settings: Any,
    regex: str,
    origin: str | None,
    varies: bool,
) -> None:
    settings.CORS_URLS_REGEX = regex
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    headers = {} if origin is None else {"HTTP_ORIGIN": origin}
    fast, whole = both("/api/appointments/", bearer(data["staff"]), **headers)
    assert outcome(fast) == "served"
    assert ("origin" in fast["Vary"]) is varies
    assert "Access-Control-Allow-Origin" not in fast
    assert_same(fast, whole)


def _answer(**headers: str) -> HttpResponse:
    response = HttpResponse(b'{"id": 1}', content_type="application/json")
    response["Vary"] = "Accept"
    response["Content-Length"] = "9"
    for name, value in headers.items():
        response[name] = value
    return response


def _finished(stand_in: outer.OuterStandIn, request: Any, response: HttpResponse) -> list[Any]:
    assert stand_in.begin(request) is None
    stand_in.finish(request, response)
    assert response[REQUEST_ID] == request.request_id
    return [item for item in response.items() if item[0] != REQUEST_ID]


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("path", ["/api/professionals/", "/api/professionals/7/", "/admin/x/"])
def test_the_outer_headers_are_remembered_per_key_as_the_hooks_add_them(
    settings: Any, rf: Any, secure: bool, path: str
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    stand_in = outer.OuterStandIn(OUTER)
    scheme = {"HTTP_X_FORWARDED_PROTO": "https"} if secure else {}
    first = _finished(stand_in, rf.get(path, **scheme), _answer())
    assert len(stand_in._added) == 1
    remembered = _finished(stand_in, rf.get(path, **scheme), _answer())
    assert len(stand_in._added) == 1
    fresh = stand_in._hooks(rf.get(path, **scheme), _answer()).items()
    assert first == remembered == list(fresh)
    assert ("Strict-Transport-Security" in dict(first)) is secure
    assert (dict(first).get("Cache-Control") == "no-store") is path.startswith("/api/")
    # Another scheme, or a header a hook leaves alone when set: another key, its own headers.
    other = {} if secure else {"HTTP_X_FORWARDED_PROTO": "https"}
    assert (
        "Strict-Transport-Security" in dict(_finished(stand_in, rf.get(path, **other), _answer()))
    ) is not secure
    policy = {"Content-Security-Policy": "default-src 'none'"}
    kept = dict(_finished(stand_in, rf.get(path, **scheme), _answer(**policy)))
    assert kept["Content-Security-Policy"] == "default-src 'none'"
    assert len(stand_in._added) == 3


def test_answers_to_an_origin_run_the_hooks_every_time(settings: Any, rf: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com", "https://b.example.com"]
    stand_in = outer.OuterStandIn(OUTER)
    for origin in settings.CORS_ALLOWED_ORIGINS:
        request = rf.get("/api/professionals/", HTTP_ORIGIN=origin)
        assert (
            dict(_finished(stand_in, request, _answer()))["access-control-allow-origin"] == origin
        )
    assert stand_in._added == {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_served_answer_closes_an_old_connection_without_the_signal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(request_finished, "send", lambda **kwargs: sent.append(kwargs))
    closed: list[str] = []
    response = outer.ServedResponse(b"{}")
    response._resource_closers.append(lambda: closed.append("closer"))  # type: ignore[attr-defined]
    connection = connections["default"]
    connection.ensure_connection()
    try:
        connection.close_at = time.monotonic() - 1  # past CONN_MAX_AGE
        response.close()
        assert (closed, response.closed, connection.connection) == (["closer"], True, None)
        connection.ensure_connection()
        connection.close_at = time.monotonic() + 60  # young: kept
        set_urlconf("core.urls")
        outer.ServedResponse(b"{}").close()
        assert connection.connection is not None
        assert get_urlconf() is None  # reset_urlconf's work
        # Without close_old_connections (the test client disconnects it), none of its work.
        request_finished.disconnect(close_old_connections)
        try:
            connection.close_at = time.monotonic() - 1
            outer.ServedResponse(b"{}").close()
        finally:
            request_finished.connect(close_old_connections)
        assert connection.connection is not None
    finally:
        connection.close()  # the next test's connection ages as CONN_MAX_AGE says
    assert sent == []


@pytest.mark.django_db  # closing an answer looks at the connection, as every request's end does
def test_another_receiver_or_a_closing_cache_gets_the_signal(settings: Any) -> None:
    heard: list[Any] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append(sender)

    # The receivers Django connects (as in production): the answer closes quietly.
    assert outer.finished_quietly()
    outer.ServedResponse(b"{}").close()
    assert heard == []
    request_finished.connect(listener)
    try:
        outer.ServedResponse(b"{}").close()
    finally:
        request_finished.disconnect(listener)
    assert len(heard) == 1
    assert outer.finished_quietly()
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.ClosingCache"}}
    assert not outer.finished_quietly()


class ClosingCache(LocMemCache):
    def close(self, **kwargs: Any) -> None:
        """A backend with something to close at the end of a request."""
