"""Fixtures: a real emulator on an ephemeral port, a requests-based client and a webhook sink."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from payments.emulator import EmulatorConfig, EmulatorServer

BRT = dt.timezone(dt.timedelta(hours=-3))
VALID_CPF = "24971563792"
VALID_CNPJ = "11222333000181"


def brt_today() -> dt.date:
    return dt.datetime.now(BRT).date()


def future(days: int = 5) -> str:
    return (brt_today() + dt.timedelta(days=days)).isoformat()


class Api:
    """A tiny client: real HTTP with requests, no environment proxies."""

    def __init__(
        self, base_url: str, api_key: str | None, control_token: str | None = None
    ) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["User-Agent"] = "EmulatorTests/1.0"
        if api_key is not None:
            self.session.headers["access_token"] = api_key
        if control_token is not None:
            self.session.headers["X-Emulator-Control-Token"] = control_token

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, json_body: Any = None) -> dict[str, Any]:
        response = self.request(method, path, json=json_body)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def start_emulator(**overrides: Any) -> EmulatorServer:
    overrides.setdefault("webhook_retry_scale", 0.00001)
    return EmulatorServer(EmulatorConfig(port=0, **overrides)).start(poll_interval=0.01)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator()
    yield server
    server.stop()


@pytest.fixture
def api(emulator: EmulatorServer) -> Api:
    return Api(emulator.url, emulator.api_key)


def control_api(server: EmulatorServer) -> Api:
    """The control API client of ``server`` (sends its control token)."""
    return Api(server.url, None, server.control_token)


@pytest.fixture
def control(emulator: EmulatorServer) -> Api:
    return control_api(emulator)


@pytest.fixture
def customer(api: Api) -> dict[str, Any]:
    return api.ok("POST", "/v3/customers", {"name": "Paciente Teste", "cpfCnpj": VALID_CPF})


@pytest.fixture
def make_payment(api: Api, customer: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def make(**fields: Any) -> dict[str, Any]:
        body = {"customer": customer["id"], "billingType": "PIX", "value": 100, "dueDate": future()}
        body.update(fields)
        return api.ok("POST", "/v3/payments", body)

    return make


def subaccount_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Dra. Profissional",
        "email": "profissional@example.com",
        "cpfCnpj": VALID_CPF,
        "mobilePhone": "47996321478",
        "incomeValue": 10000,
        "address": "Rua A",
        "addressNumber": "10",
        "province": "Centro",
        "postalCode": "89010000",
    }
    body.update(overrides)
    return body


@pytest.fixture
def subaccount(api: Api) -> dict[str, Any]:
    return api.ok("POST", "/v3/accounts", subaccount_body())


class Receiver:
    """A webhook sink answering the queued status codes in order, then ``default_status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.default_status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else None
                    status = status or receiver.default_status
                    receiver.requests.append(
                        {
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": json.loads(raw),
                            "raw": raw.decode(),
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["status"] == 200]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sink = Receiver()
    yield sink
    sink.close()


def webhook_log(control: Api, wait: float = 5) -> dict[str, Any]:
    response = control.get(f"/_emulator/webhooks?wait_idle={wait}", timeout=wait + 5)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def event_names(control: Api, payment_id: str | None = None) -> list[str]:
    """Names of the events recorded so far (default queue), optionally of one payment."""
    events = webhook_log(control, wait=0)["events"]
    return [
        e["event"]
        for e in events
        if e["webhook"] == "default" and (payment_id is None or e["paymentId"] == payment_id)
    ]


def add_balance(control: Api, wallet_id: str, value: float) -> None:
    control.ok("POST", "/_emulator/balances", {"walletId": wallet_id, "value": value})


def balance_of(api: Api) -> float:
    value: float = api.ok("GET", "/v3/finance/balance")["balance"]
    return value


def advance(control: Api, **delta: float) -> list[str]:
    events: list[str] = control.ok("POST", "/_emulator/clock/advance", delta)["events"]
    return events
