"""Helpers shared by the Asaas client tests: recorded fixtures and request assertions.

Recorded exchanges live in ``payments/tests/fixtures/asaas/*.json`` as
``{"request": {"method", "path", "query"?, "body"?}, "response": {"status", "headers"?,
"body" | "text"}}``; HTTP is mocked at the boundary with ``responses``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import responses
from responses import matchers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asaas"
ORIGIN = "https://api-sandbox.asaas.test"
BASE_URL = ORIGIN + "/v3"
API_KEY = "$aact_hmlg_000TestKeyNeverReal000"


def load_fixture(name: str) -> dict[str, Any]:
    """The recorded exchange, with non-integer numbers decoded as ``Decimal``."""
    loaded: dict[str, Any] = json.loads(
        (FIXTURES / f"{name}.json").read_text(encoding="utf-8"), parse_float=Decimal
    )
    return loaded


def serve(mock: responses.RequestsMock, name: str, *, status: int | None = None) -> dict[str, Any]:
    """Register the recorded response of fixture ``name`` at its recorded method and path."""
    recorded = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    request, response = recorded["request"], recorded["response"]
    headers = dict(response.get("headers", {}))
    content_type = headers.pop("Content-Type", "application/json")
    body = response.get("text")
    if body is None:
        body = json.dumps(response["body"], ensure_ascii=False)
    match = []
    if "query" in request:
        match.append(matchers.query_param_matcher(request["query"]))
    mock.add(
        request["method"],
        ORIGIN + request["path"],
        body=body,
        status=status or response["status"],
        headers=headers,
        content_type=content_type,
        match=match,
    )
    return load_fixture(name)


def sent_json(call: Any) -> Any:
    """The JSON body the client sent, decoded with ``Decimal`` for non-integers."""
    body = call.request.body
    assert body is not None, "expected a JSON body"
    return json.loads(body, parse_float=Decimal)


def sent_text(call: Any) -> str:
    body = call.request.body
    assert body is not None, "expected a JSON body"
    return body.decode("ascii") if isinstance(body, bytes) else str(body)


def assert_standard_headers(call: Any, *, api_key: str = API_KEY) -> None:
    headers = call.request.headers
    assert headers["access_token"] == api_key
    assert headers["User-Agent"] == "MedicalAPI/1.0"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert "Authorization" not in headers


class SleepRecorder:
    """Stands in for ``time.sleep`` so retry tests run instantly and can inspect delays."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
