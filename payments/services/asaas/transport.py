"""HTTP transport of the Asaas client: headers, JSON, error mapping, retries and logging.

One ``AsaasTransport.call()`` is one logical API call. GET requests are retried
(``max_retries`` times) on connection errors, read timeouts, 5xx and 429 with exponential
backoff and jitter (a 429 waits ``RateLimit-Reset`` seconds, and is not retried when that is
longer than ``backoff_max``: the caller should reschedule). POST/PUT/DELETE are never retried.

Each attempt logs one line on ``payments.asaas``: method, path (ids only), the *names* of the
query parameters, status, elapsed ms, attempt. Never the key, query values or bodies.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from payments.services.asaas.errors import (
    AsaasConfigurationError,
    AsaasConnectionError,
    AsaasError,
    AsaasErrorItem,
    AsaasRateLimitError,
    AsaasTimeoutError,
    error_for_status,
)
from payments.services.asaas.payloads import decode_json, encode_json, scrub_payload
from payments.services.asaas.types import AsaasExchange, JsonDict

logger = logging.getLogger("payments.asaas")

DEFAULT_CONNECT_TIMEOUT = 3.05
DEFAULT_TIMEOUT = (DEFAULT_CONNECT_TIMEOUT, 10.0)
DEFAULT_USER_AGENT = "MedicalAPI/1.0"
_TEXT_SNIPPET_CHARS = 500


def _failed_before_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection (TCP, DNS, TLS, proxy) failed, so no request bytes left."""
    if isinstance(
        exc,
        (
            requests.exceptions.ConnectTimeout,
            requests.exceptions.SSLError,
            requests.exceptions.ProxyError,
        ),
    ):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError and NameResolutionError are ConnectTimeoutError subclasses.
    return isinstance(reason, ConnectTimeoutError)


class AsaasTransport:
    """Sends one API call, maps failures to ``AsaasError`` and records ``AsaasExchange``."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise AsaasConfigurationError("the Asaas API key is empty")
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise AsaasConfigurationError("the Asaas base URL must be an http(s) URL")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self.base_url).path
        self._api_key = api_key
        self.timeout: tuple[float, float] = (
            (min(DEFAULT_CONNECT_TIMEOUT, float(timeout)), float(timeout))
            if isinstance(timeout, (int, float))
            else (float(timeout[0]), float(timeout[1]))
        )
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self.max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._rng = rng if rng is not None else random.SystemRandom()
        self._local = threading.local()
        self._headers = {
            "access_token": api_key,
            "User-Agent": self.user_agent,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    @property
    def session(self) -> requests.Session:
        return self._session

    @property
    def backoff(self) -> tuple[float, float]:
        return self._backoff_base, self._backoff_max

    @property
    def sleep(self) -> Callable[[float], None]:
        return self._sleep

    @property
    def rng(self) -> random.Random:
        return self._rng

    @property
    def last_exchange(self) -> AsaasExchange | None:
        exchange: AsaasExchange | None = getattr(self._local, "exchange", None)
        return exchange

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: JsonDict | None = None,
    ) -> tuple[JsonDict, AsaasExchange]:
        payload, exchange = self._request(method, path, params=params, body=body)
        if not isinstance(payload, dict):
            raise AsaasError(
                status_code=exchange.status_code,
                errors=[AsaasErrorItem("unexpected_response", "expected a JSON object")],
                exchange=exchange,
            )
        return payload, exchange

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        body: JsonDict | None,
    ) -> tuple[Any, AsaasExchange]:
        if method == "GET" and body is not None:
            raise ValueError("GET requests must not carry a body (Asaas answers 403)")
        if method == "POST" and body is None:
            body = {}
        max_attempts = 1 + self.max_retries if method == "GET" else 1
        attempt = 1
        while True:
            try:
                return self._send(method, path, params=params, body=body, attempt=attempt)
            except AsaasError as exc:
                delay = (
                    self._retry_delay(attempt, exc)
                    if exc.retryable and attempt < max_attempts
                    else None
                )
                if delay is None:
                    raise
                logger.warning(
                    "asaas %s %s retry in %.2fs after %s (attempt %d of %d)",
                    method,
                    self._base_path + path,
                    delay,
                    type(exc).__name__,
                    attempt,
                    max_attempts,
                )
                self._sleep(delay)
                attempt += 1

    def _retry_delay(self, attempt: int, exc: AsaasError) -> float | None:
        if isinstance(exc, AsaasRateLimitError) and exc.reset_seconds is not None:
            # A quota window can last hours: give up and let the caller reschedule.
            return exc.reset_seconds if exc.reset_seconds <= self._backoff_max else None
        ceiling = min(self._backoff_max, self._backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        body: JsonDict | None,
        attempt: int,
    ) -> tuple[Any, AsaasExchange]:
        full_path = self._base_path + path
        query_keys = ",".join(sorted(params)) if params else "-"
        data = encode_json(body).encode("ascii") if body is not None else None

        def record(status: int | None, response_body: Any, elapsed_ms: int) -> AsaasExchange:
            exchange = AsaasExchange(
                method=method,
                path=full_path,
                query=scrub_payload(dict(params)) if params else {},
                request_body=scrub_payload(body) if body is not None else None,
                status_code=status,
                response_body=response_body,
                elapsed_ms=elapsed_ms,
                attempt=attempt,
            )
            self._local.exchange = exchange
            return exchange

        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=self._headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            elapsed_ms = round((time.monotonic() - started) * 1000)
            transport_error = self._transport_error(method, exc)
            transport_error.exchange = record(None, None, elapsed_ms)
            logger.warning(
                "asaas %s %s query=%s failed=%s elapsed_ms=%d attempt=%d",
                method,
                full_path,
                query_keys,
                type(exc).__name__,
                elapsed_ms,
                attempt,
            )
            # Not chained: requests' messages include the URL, whose query may hold a CPF.
            raise transport_error from None
        elapsed_ms = round((time.monotonic() - started) * 1000)

        status = response.status_code
        payload, is_json = self._decode(response)
        exchange = record(
            status,
            scrub_payload(payload) if is_json else response.text[:_TEXT_SNIPPET_CHARS],
            elapsed_ms,
        )
        if 200 <= status < 300 and is_json:
            logger.info(
                "asaas %s %s query=%s status=%d elapsed_ms=%d attempt=%d",
                method,
                full_path,
                query_keys,
                status,
                elapsed_ms,
                attempt,
            )
            return payload, exchange
        if 200 <= status < 300:
            error: AsaasError = AsaasError(
                status_code=status,
                errors=[AsaasErrorItem("invalid_response", "response body is not JSON")],
                exchange=exchange,
            )
        else:
            error = error_for_status(
                status,
                payload if is_json else None,
                method=method,
                headers=response.headers,
                exchange=exchange,
            )
        logger.warning(
            "asaas %s %s query=%s status=%d elapsed_ms=%d attempt=%d errors=%s",
            method,
            full_path,
            query_keys,
            status,
            elapsed_ms,
            attempt,
            ",".join(error.codes) or "-",
        )
        raise error

    @staticmethod
    def _decode(response: requests.Response) -> tuple[Any, bool]:
        content = response.content
        if not content or not content.strip():
            return None, True
        try:
            return decode_json(content), True
        except ValueError:
            return None, False

    def _transport_error(
        self, method: str, exc: requests.exceptions.RequestException
    ) -> AsaasError:
        name = type(exc).__name__
        not_get = method != "GET"
        if isinstance(exc, requests.exceptions.ConnectionError) and _failed_before_sending(exc):
            return AsaasConnectionError(f"could not connect to Asaas ({name}); nothing was sent")
        if isinstance(exc, requests.exceptions.Timeout):
            return AsaasTimeoutError(
                f"Asaas did not answer within {self.timeout[1]}s ({name})",
                maybe_committed=not_get,
            )
        if isinstance(
            exc,
            (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
        ):
            return AsaasConnectionError(
                f"connection to Asaas broke after sending ({name})", maybe_committed=not_get
            )
        if isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
            ),
        ):
            return AsaasConfigurationError(f"invalid Asaas URL ({name})")
        return AsaasError(f"request to Asaas failed ({name})", maybe_committed=not_get)
