"""``python -m bench inproc``: the requests it builds, how it reads CPU, and one request through
the product's stack."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework_simplejwt.tokens import AccessToken

from bench import inproc
from bench.runner import WEBHOOK_TOKEN
from core.tests.access_fixtures import make_user


def _stat(pid: int, name: str, utime: int, stime: int) -> str:
    # /proc/PID/stat: pid (comm) state ppid ... utime is field 14, stime field 15.
    rest = ["S", *["0"] * 10, str(utime), str(stime), *["0"] * 5]
    return f"{pid} ({name}) {' '.join(rest)}\n"


def test_postgres_cpu_counts_only_postgres_processes(tmp_path: Path) -> None:
    for pid, name, utime, stime in [
        (10, "postgres", 300, 100),
        (11, "postgres: walwriter", 50, 50),
        (12, "python3", 9000, 9000),
    ]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, name, utime, stime))
    (tmp_path / "self").mkdir()  # not a pid
    ticks = os.sysconf("SC_CLK_TCK")
    assert inproc.postgres_cpu_seconds(tmp_path) == pytest.approx(500 / ticks)


def test_a_get_carries_its_query_and_token_and_the_webhook_a_new_event_each_time() -> None:
    get = inproc.builder("GET", "/api/appointments/?professional=7", token="abc", events="x")()
    assert (get["REQUEST_METHOD"], get["PATH_INFO"], get["QUERY_STRING"]) == (
        "GET",
        "/api/appointments/",
        "professional=7",
    )
    assert get["HTTP_AUTHORIZATION"] == "Bearer abc"
    assert "HTTP_AUTHORIZATION" not in inproc.builder("GET", "/floor/", token="", events="x")()

    post = inproc.builder("POST", "/api/payments/webhooks/asaas/", token="", events="ev")
    first, second = post(), post()
    assert first["HTTP_ASAAS_ACCESS_TOKEN"] == WEBHOOK_TOKEN
    bodies = [json.loads(env["wsgi.input"].read()) for env in (first, second)]
    assert [body["id"] for body in bodies] == ["evt_ev_0", "evt_ev_1"]
    assert first["CONTENT_LENGTH"] == str(len(json.dumps(bodies[0], separators=(",", ":"))))


def test_measure_and_warm_on_a_plain_wsgi_app() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["PATH_INFO"])
        status = "200 OK" if environ["PATH_INFO"] == "/ok" else "500 Internal Server Error"
        start_response(status, [])
        return [b"body"]

    ok = inproc.caller(app, lambda: inproc.environ("GET", "/ok", headers={}))
    assert ok() == ("200 OK", b"body")
    inproc.warm(ok, 5, "ok")
    cost = inproc.measure(ok, 50)
    assert len(seen) == 1 + 5 + 50
    assert cost.app >= 0
    assert cost.wall > 0
    failing = inproc.caller(app, lambda: inproc.environ("GET", "/bad", headers={}))
    with pytest.raises(SystemExit, match="500"):
        inproc.warm(failing, 5, "bad")


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """As Django's test client does: the request signals must not close the test's connection
    (it holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_request_it_builds_is_answered_by_the_product(connections_kept: None) -> None:
    staff = make_user("inproc-staff", is_staff=True)
    token = str(AccessToken.for_user(staff))
    call = inproc.caller(
        WSGIHandler(), inproc.builder("GET", "/api/professionals/", token=token, events="")
    )
    status, body = call()
    assert status == "200 OK", body
    assert "results" in json.loads(body)
    refused = inproc.caller(
        WSGIHandler(), inproc.builder("GET", "/api/professionals/", token="", events="")
    )
    assert refused()[0].startswith("401")
