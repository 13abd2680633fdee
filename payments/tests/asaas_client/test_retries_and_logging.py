from __future__ import annotations

import logging
import random
from datetime import date
from decimal import Decimal

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from payments.services.asaas_service import (
    AsaasRateLimitError,
    AsaasServerError,
    AsaasService,
    AsaasValidationError,
)
from payments.tests.asaas_client.support import API_KEY, BASE_URL, ORIGIN, SleepRecorder, serve

PAY = "pay_ibvub5tu20v9lxr7"
PAY_URL = ORIGIN + f"/v3/payments/{PAY}"
CPF = "12345678909"


def test_get_is_retried_on_5xx_with_growing_jittered_backoff_then_succeeds(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    http.add("GET", PAY_URL, status=500, json={"errors": []})
    http.add("GET", PAY_URL, status=503, body="unavailable")
    http.add("GET", PAY_URL, json={"id": PAY, "status": "PENDING"})

    payment = asaas.payment_get(PAY)

    assert payment.status == "PENDING"
    assert len(http.calls) == 3
    assert len(sleeps.calls) == 2
    assert 0.25 <= sleeps.calls[0] <= 0.5  # base 0.5 s, equal jitter
    assert 0.5 <= sleeps.calls[1] <= 1.0  # doubled
    assert payment.exchange is not None
    assert payment.exchange.attempt == 3


def test_get_is_retried_after_a_connection_error(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/v3/payments", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    )
    http.add("GET", PAY_URL, body=refused)
    http.add("GET", PAY_URL, json={"id": PAY})

    assert asaas.payment_get(PAY).id == PAY
    assert len(http.calls) == 2
    assert len(sleeps.calls) == 1


def test_get_gives_up_after_max_retries(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    for _ in range(3):
        http.add("GET", PAY_URL, status=500)

    with pytest.raises(AsaasServerError):
        asaas.payment_get(PAY)

    assert len(http.calls) == 3  # 1 + max_retries (2)
    assert len(sleeps.calls) == 2


def test_429_waits_rate_limit_reset_then_retries(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    serve(http, "error_rate_limited")
    http.add("GET", PAY_URL, json={"id": PAY})

    assert asaas.payment_get(PAY).id == PAY
    assert sleeps.calls == [2.0]


def test_429_with_a_reset_beyond_the_cap_is_raised_at_once(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    http.add("GET", PAY_URL, status=429, headers={"RateLimit-Reset": "3600"})

    with pytest.raises(AsaasRateLimitError) as caught:
        asaas.payment_get(PAY)

    assert caught.value.reset_seconds == 3600.0
    assert sleeps.calls == []
    assert len(http.calls) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_post_is_never_retried(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder, status: int
) -> None:
    http.add("POST", ORIGIN + "/v3/payments", status=status, json={"errors": []})
    http.add("POST", ORIGIN + "/v3/payments", json={"id": PAY})  # must not be reached

    with pytest.raises((AsaasServerError, AsaasRateLimitError)):
        asaas.payment_create(
            customer="cus_1",
            billing_type="PIX",
            value=Decimal("10.00"),
            due_date=date(2026, 7, 19),
            external_reference="appointment-1",
            split=[],
        )

    assert len(http.calls) == 1
    assert sleeps.calls == []
    http.reset()  # the second response was deliberately left unused


def test_delete_is_never_retried(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    http.add("DELETE", PAY_URL, status=502)

    with pytest.raises(AsaasServerError) as caught:
        asaas.payment_delete(PAY)

    assert caught.value.maybe_committed is True
    assert len(http.calls) == 1
    assert sleeps.calls == []


def test_max_retries_zero_disables_get_retries(http: responses.RequestsMock) -> None:
    recorder = SleepRecorder()
    service = AsaasService(base_url=BASE_URL, api_key=API_KEY, max_retries=0, sleep=recorder)
    http.add("GET", PAY_URL, status=500)

    with pytest.raises(AsaasServerError):
        service.payment_get(PAY)

    assert len(http.calls) == 1
    assert recorder.calls == []


def test_backoff_is_capped(http: responses.RequestsMock) -> None:
    recorder = SleepRecorder()
    service = AsaasService(
        base_url=BASE_URL,
        api_key=API_KEY,
        max_retries=5,
        backoff_base=1.0,
        backoff_max=2.0,
        sleep=recorder,
        rng=random.Random(3),
    )
    for _ in range(5):
        http.add("GET", PAY_URL, status=500)
    http.add("GET", PAY_URL, json={"id": PAY})

    service.payment_get(PAY)

    assert len(recorder.calls) == 5
    assert max(recorder.calls) <= 2.0
    assert min(recorder.calls[2:]) >= 1.0  # ceilings 1, 2, 2, 2, 2: the late ones sit at the cap


def test_each_call_logs_one_line_without_secrets_or_personal_data(
    asaas: AsaasService, http: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    serve(http, "customer_create")
    serve(http, "customer_list")

    with caplog.at_level(logging.DEBUG, logger="payments.asaas"):
        asaas.customer_create(
            name="Paciente Ficticio Teste",
            cpf_cnpj=CPF,
            email="paciente.ficticio@example.com",
            mobile_phone="47990000001",
        )
        asaas.customer_list(cpf_cnpj=CPF)

    records = [record for record in caplog.records if record.name == "payments.asaas"]
    assert len(records) == 2
    first, second = (record.getMessage() for record in records)
    assert first.startswith("asaas POST /v3/customers ")
    assert "status=200" in first
    assert "elapsed_ms=" in first
    assert second.startswith("asaas GET /v3/customers query=cpfCnpj,limit,offset status=200")
    logged = caplog.text
    for secret in (API_KEY, "aact", CPF, "Paciente", "paciente.ficticio", "47990000001"):
        assert secret not in logged


def test_failures_are_logged_with_error_codes_only(
    asaas: AsaasService, http: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    serve(http, "error_invalid_cpf")

    with (
        caplog.at_level(logging.INFO, logger="payments.asaas"),
        pytest.raises(AsaasValidationError),
    ):
        asaas.customer_create(name="Paciente Ficticio Teste", cpf_cnpj="11111111111")

    assert "status=400" in caplog.text
    assert "errors=invalid_object" in caplog.text
    assert "11111111111" not in caplog.text
    assert caplog.records[-1].levelno == logging.WARNING
