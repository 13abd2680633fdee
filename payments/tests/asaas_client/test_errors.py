from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from payments.services.asaas_service import (
    AsaasAuthenticationError,
    AsaasConnectionError,
    AsaasError,
    AsaasErrorItem,
    AsaasNotFoundError,
    AsaasPermissionError,
    AsaasRateLimitError,
    AsaasServerError,
    AsaasService,
    AsaasTimeoutError,
    AsaasValidationError,
)
from payments.tests.asaas_client.support import ORIGIN, SleepRecorder, serve

PAY = "pay_ibvub5tu20v9lxr7"
PAY_URL = ORIGIN + f"/v3/payments/{PAY}"


def _no_retry(asaas: AsaasService) -> AsaasService:
    asaas._transport.max_retries = 0
    return asaas


def _create(asaas: AsaasService) -> None:
    asaas.payment_create(
        customer="cus_000008392496",
        billing_type="PIX",
        value=Decimal("100.00"),
        due_date=date(2026, 7, 19),
        external_reference="appointment-3b1f0c9e",
        split=[],
    )


def _refused_connection() -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(
        MaxRetryError(None, "/v3/customers?cpfCnpj=12345678909", reason)  # type: ignore[arg-type]
    )


def test_400_with_several_errors_becomes_a_validation_error_listing_all(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_validation_several")

    with pytest.raises(AsaasValidationError) as caught:
        _create(asaas)

    error = caught.value
    assert error.status_code == 400
    assert error.errors == [
        AsaasErrorItem("invalid_value", "O valor da cobrança deve ser maior que zero."),
        AsaasErrorItem(
            "invalid_dueDate", "A data de vencimento não pode ser anterior à data atual."
        ),
    ]
    assert str(error) == (
        "O valor da cobrança deve ser maior que zero.; "
        "A data de vencimento não pode ser anterior à data atual."
    )
    assert error.retryable is False
    assert error.maybe_committed is False
    assert error.exchange is not None
    assert error.exchange.status_code == 400


def test_400_for_an_invalid_cpf_carries_the_invalid_object_code(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_invalid_cpf")

    with pytest.raises(AsaasValidationError) as caught:
        asaas.customer_create(name="Paciente Ficticio Teste", cpf_cnpj="11111111111")

    assert caught.value.codes == ["invalid_object"]
    assert str(caught.value) == "O CPF/CNPJ informado é inválido."


def test_401_is_an_authentication_error_and_is_not_retried(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_invalid_access_token")

    with pytest.raises(AsaasAuthenticationError) as caught:
        asaas.payment_get(PAY)

    assert caught.value.status_code == 401
    assert caught.value.codes == ["invalid_access_token"]
    assert caught.value.retryable is False
    assert len(http.calls) == 1


def test_403_is_a_permission_error(asaas: AsaasService, http: responses.RequestsMock) -> None:
    http.add("GET", PAY_URL, status=403, body="<html>Forbidden</html>", content_type="text/html")

    with pytest.raises(AsaasPermissionError) as caught:
        asaas.payment_get(PAY)

    assert caught.value.status_code == 403
    assert len(http.calls) == 1


def test_404_with_an_empty_body_is_a_not_found_error(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_not_found")

    with pytest.raises(AsaasNotFoundError) as caught:
        asaas.payment_get("pay_doesnotexist0000")

    assert caught.value.status_code == 404
    assert caught.value.errors == []
    assert len(http.calls) == 1


def test_429_is_a_retryable_rate_limit_error_with_reset_seconds(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_rate_limited")

    with pytest.raises(AsaasRateLimitError) as caught:
        _no_retry(asaas).payment_get(PAY)

    assert caught.value.status_code == 429
    assert caught.value.reset_seconds == 2.0
    assert caught.value.retryable is True


def test_500_on_a_post_may_have_committed_and_is_not_retried(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    http.add("POST", ORIGIN + "/v3/payments", status=500, json={"errors": []})

    with pytest.raises(AsaasServerError) as caught:
        _create(asaas)

    assert caught.value.status_code == 500
    assert caught.value.retryable is True
    assert caught.value.maybe_committed is True
    assert len(http.calls) == 1


def test_502_with_an_html_body_is_a_server_error_keeping_a_text_snippet(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "error_bad_gateway")

    with pytest.raises(AsaasServerError) as caught:
        _no_retry(asaas).payment_get(PAY)

    error = caught.value
    assert error.status_code == 502
    assert error.maybe_committed is False  # a GET changes nothing
    assert error.exchange is not None
    assert "502 Bad Gateway" in error.exchange.response_body


def test_200_with_a_non_json_body_is_an_asaas_error_not_a_crash(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("GET", PAY_URL, status=200, body="<html>captive portal</html>")

    with pytest.raises(AsaasError) as caught:
        asaas.payment_get(PAY)

    assert type(caught.value) is AsaasError
    assert caught.value.codes == ["invalid_response"]


def test_200_with_a_json_array_instead_of_an_object_is_an_asaas_error(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("GET", PAY_URL, status=200, json=[1, 2, 3])

    with pytest.raises(AsaasError) as caught:
        asaas.payment_get(PAY)

    assert caught.value.codes == ["unexpected_response"]


def test_redirects_are_not_followed(asaas: AsaasService, http: responses.RequestsMock) -> None:
    http.add("GET", PAY_URL, status=302, headers={"Location": "https://elsewhere.test/"})

    with pytest.raises(AsaasError) as caught:
        asaas.payment_get(PAY)

    assert caught.value.status_code == 302
    assert len(http.calls) == 1


def test_read_timeout_on_a_post_may_have_committed_and_is_not_retried(
    asaas: AsaasService, http: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    http.add("POST", ORIGIN + "/v3/payments", body=requests.exceptions.ReadTimeout("read"))

    with pytest.raises(AsaasTimeoutError) as caught:
        _create(asaas)

    error = caught.value
    assert error.maybe_committed is True
    assert error.retryable is True
    assert error.status_code is None
    assert error.exchange is not None
    assert error.exchange.status_code is None
    assert error.exchange.request_body["externalReference"] == "appointment-3b1f0c9e"
    assert len(http.calls) == 1
    assert sleeps.calls == []


def test_read_timeout_on_a_get_has_not_committed_anything(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("GET", PAY_URL, body=requests.exceptions.ReadTimeout("read"))

    with pytest.raises(AsaasTimeoutError) as caught:
        _no_retry(asaas).payment_get(PAY)

    assert caught.value.maybe_committed is False


def test_refused_connection_is_a_retryable_connection_error_with_nothing_sent(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("POST", ORIGIN + "/v3/payments", body=_refused_connection())

    with pytest.raises(AsaasConnectionError) as caught:
        _create(asaas)

    assert caught.value.retryable is True
    assert caught.value.maybe_committed is False
    assert len(http.calls) == 1


def test_connection_dropped_after_sending_a_post_may_have_committed(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    dropped = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )
    http.add("POST", ORIGIN + "/v3/payments", body=dropped)

    with pytest.raises(AsaasConnectionError) as caught:
        _create(asaas)

    assert caught.value.maybe_committed is True


def test_transport_errors_do_not_leak_the_url_or_chain_the_original_exception(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("GET", ORIGIN + "/v3/customers", body=_refused_connection())
    _no_retry(asaas)

    with pytest.raises(AsaasConnectionError) as caught:
        asaas.customer_list(cpf_cnpj="12345678909")

    assert "12345678909" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_errors_survive_pickling_for_task_queues(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    import pickle

    serve(http, "error_rate_limited")

    with pytest.raises(AsaasRateLimitError) as caught:
        _no_retry(asaas).payment_get(PAY)

    restored = pickle.loads(pickle.dumps(caught.value))  # noqa: S301
    assert type(restored) is AsaasRateLimitError
    assert restored.reset_seconds == 2.0
    assert restored.status_code == 429
    assert restored.retryable is True
    assert restored.exchange == caught.value.exchange
