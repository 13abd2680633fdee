"""HTTP clients of the campaign: the app (as a staff operator) and the emulator (as Asaas)."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests
from validate_docbr import CPF

from .procs import API_KEY, WEBHOOK_PATH

LOCAL = ZoneInfo("America/Sao_Paulo")
CONTROL_TOKEN_HEADER = "X-Emulator-Control-Token"  # noqa: S105 - a header name
STAFF_USER = "chaos-operadora"


def money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else "0")).quantize(Decimal("0.01"))


@dataclass
class BookingResult:
    slot: tuple[int, str]
    status: int  # 0: no HTTP answer (connection error or timeout)
    appointment_id: int | None
    during_outage: bool = False


@dataclass
class App:
    """The API as an operator uses it; one requests.Session per thread."""

    base_url: str
    password: str
    webhook_token: str
    _local: threading.local = field(default_factory=threading.local)
    token: str = ""

    def session(self) -> requests.Session:
        current: requests.Session | None = getattr(self._local, "session", None)
        if current is None:
            current = requests.Session()
            if self.token:
                current.headers["Authorization"] = f"Bearer {self.token}"
            self._local.session = current
        return current

    def login(self) -> None:
        response = requests.post(
            f"{self.base_url}/api/auth/token/",
            json={"username": STAFF_USER, "password": self.password},
            timeout=15,
        )
        response.raise_for_status()
        self.token = str(response.json()["access"])

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session().request(method, f"{self.base_url}/api/{path}", **kwargs)

    def json(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        if response.status_code != expected:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def create_professional(self, index: int) -> int:
        body = {
            "preferred_name": f"Profissional Caos {index}",
            "profession": "Psicóloga",
            "address": "Rua das Flores, 123 - São Paulo, SP",
            "contact": "contato@example.com",
            "email": f"caos-{secrets.token_hex(6)}@example.com",
            "phone": "11987654321",
            "cpf_cnpj": CPF().generate(),
            "income_value": "15000.00",
            "address_number": "123",
            "province": "Centro",
            "postal_code": "01310100",
        }
        return int(self.json("POST", "professionals/", 201, json=body)["id"])

    def professional_active(self, pk: int) -> bool:
        return bool(self.json("GET", f"professionals/{pk}/").get("integration_status") == "ACTIVE")

    def create_patient(self) -> int:
        body = {
            "name": "Paciente Caos",
            "cpf": CPF().generate(),
            "email": f"paciente-{secrets.token_hex(6)}@example.com",
            "phone": "11912345678",
        }
        return int(self.json("POST", "patients/", 201, json=body)["id"])

    def book(
        self,
        *,
        professional: int,
        patient: int,
        start: dt.datetime,
        amount: str = "100.00",
        method: str = "PIX",
        key: str | None = None,
    ) -> BookingResult:
        """POST /api/appointments/ (with ``Idempotency-Key: key`` when given)."""
        body = {
            "date": start.isoformat(),
            "duration_minutes": 50,
            "professional": professional,
            "patient": patient,
            "total_amount": amount,
            "payment_method": method,
        }
        slot = (professional, start.isoformat())
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self.call("POST", "appointments/", json=body, headers=headers, timeout=30)
        except requests.RequestException:
            return BookingResult(slot, 0, None)
        pk = response.json().get("id") if response.status_code == 201 else None
        return BookingResult(slot, response.status_code, int(pk) if pk else None)

    def appointments(self) -> dict[int, dict[str, Any]]:
        """Every appointment, by id (paged through the list endpoint)."""
        found: dict[int, dict[str, Any]] = {}
        page = 1
        while True:
            data = self.json("GET", f"appointments/?page_size=100&page={page}")
            for item in data["results"]:
                found[int(item["id"])] = item
            if not data.get("next"):
                return found
            page += 1

    def metrics(self) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", "payments/metrics/?days=3")
        return result

    def post_webhook(self, body: bytes) -> int:
        try:
            response = self.session().post(
                f"{self.base_url}{WEBHOOK_PATH}",
                data=body,
                headers={
                    "asaas-access-token": self.webhook_token,
                    "Content-Type": "application/json",
                },
                timeout=30,
            )
        except requests.RequestException:
            return 0
        return response.status_code


@dataclass
class Emulator:
    """The emulator as Asaas (API key) and through its control API."""

    url: str
    control_token: str = ""
    http: requests.Session = field(default_factory=requests.Session)

    def control_call(
        self, method: str, path: str, *, http_timeout: float = 30, **body: Any
    ) -> requests.Response:
        """A control API call; the token header is sent when the emulator has one."""
        headers = {CONTROL_TOKEN_HEADER: self.control_token} if self.control_token else {}
        return self.http.request(
            method,
            f"{self.url}/_emulator/{path}",
            json=body or None,
            headers=headers,
            timeout=http_timeout,
        )

    def control(self, method: str, path: str, *, http_timeout: float = 30, **body: Any) -> Any:
        response = self.control_call(method, path, http_timeout=http_timeout, **body)
        response.raise_for_status()
        return response.json()

    def faults(self, **switches: Any) -> None:
        self.control("POST", "faults", **switches)

    def clear_faults(self) -> None:
        self.faults(error_rate=0, latency_ms=0, hang_after_create_seconds=0, fail_next=0)

    def configure_webhooks(self, url: str) -> None:
        self.control("POST", "config", webhook_url=url)
        self.control("POST", "webhooks/resume")

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait up to ``timeout`` s for the emulator's webhook queue to drain (the HTTP read
        waits longer than the emulator does: a loaded machine answers late, not never)."""
        answer = self.control("POST", "webhooks/flush", http_timeout=timeout + 30, timeout=timeout)
        return bool(answer.get("idle"))

    def asaas(self, method: str, path: str, *, attempts: int = 5, **body: Any) -> requests.Response:
        """A call as our Asaas account; retried on 5xx (fault switches may be on)."""
        response: requests.Response | None = None
        for _ in range(attempts):
            response = self.http.request(
                method,
                f"{self.url}/v3/{path}",
                json=body or None,
                headers={"access_token": API_KEY},
                timeout=30,
            )
            if response.status_code < 500:
                return response
            time.sleep(0.2)
        assert response is not None
        return response

    def payment(self, payment_id: str) -> dict[str, Any]:
        response = self.asaas("GET", f"payments/{payment_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def all_payments(self) -> list[dict[str, Any]]:
        """Every payment the emulator holds, deleted ones included (control API state)."""
        result: list[dict[str, Any]] = self.control("GET", "state")["payments"]
        return result

    def by_reference(self) -> Counter[str]:
        return Counter(
            str(p.get("externalReference"))
            for p in self.all_payments()
            if p.get("externalReference") and not p.get("deleted")
        )
