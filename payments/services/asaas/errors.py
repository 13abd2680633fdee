"""The one exception hierarchy raised by the Asaas client.

``AsaasError`` carries what a caller needs to decide what to do next:

* ``status_code`` — the HTTP status, or ``None`` when no response arrived;
* ``errors`` — the parsed ``{"errors": [{"code", "description"}]}`` list (possibly empty);
* ``retryable`` — trying the same request again later may succeed (5xx, 429, network);
* ``maybe_committed`` — a non-GET request may have been applied by Asaas even though no
  usable answer came back (read timeout, connection dropped after sending, 5xx). Asaas has no
  idempotency key, so before re-sending a create the caller must look the object up by its
  ``externalReference``;
* ``exchange`` — the scrubbed request/response record of the failed attempt, if any.

Messages never contain request URLs, query values or bodies (they may hold personal data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payments.services.asaas.types import AsaasExchange


@dataclass(frozen=True)
class AsaasErrorItem:
    code: str
    description: str


class AsaasError(Exception):
    """Base class of every error raised by the client."""

    default_retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        errors: Sequence[AsaasErrorItem] = (),
        retryable: bool | None = None,
        maybe_committed: bool = False,
        exchange: AsaasExchange | None = None,
    ) -> None:
        self.status_code = status_code
        self.errors: list[AsaasErrorItem] = list(errors)
        self.retryable = self.default_retryable if retryable is None else retryable
        self.maybe_committed = maybe_committed
        self.exchange = exchange
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        described = "; ".join(item.description or item.code for item in self.errors)
        status = f"HTTP {self.status_code}" if self.status_code is not None else "no response"
        return f"Asaas {status}: {described}" if described else f"Asaas {status}"

    @property
    def codes(self) -> list[str]:
        return [item.code for item in self.errors]


class AsaasConfigurationError(AsaasError):
    """Missing or invalid client configuration (API key, base URL)."""


class AsaasAuthenticationError(AsaasError):
    """401: missing, invalid or wrong-environment API key."""


class AsaasPermissionError(AsaasError):
    """403: forbidden (IP allow-list, abuse protection, GET with a body)."""


class AsaasValidationError(AsaasError):
    """400: Asaas rejected the request; ``errors`` says why (often only the first problem)."""

    def _default_message(self) -> str:
        described = "; ".join(item.description or item.code for item in self.errors)
        return described or "Asaas rejected the request (HTTP 400)"


class AsaasNotFoundError(AsaasError):
    """404: the object or endpoint does not exist."""


class AsaasRateLimitError(AsaasError):
    """429: rate, quota or concurrency limit; ``reset_seconds`` from ``RateLimit-Reset``."""

    default_retryable = True

    def __init__(self, message: str = "", *, reset_seconds: float | None = None, **kwargs: Any):
        self.reset_seconds = reset_seconds
        super().__init__(message, **kwargs)


class AsaasServerError(AsaasError):
    """5xx, or a response that is not the JSON Asaas promises."""

    default_retryable = True


class AsaasTimeoutError(AsaasError):
    """No response within the read timeout. For non-GET ``maybe_committed`` is True."""

    default_retryable = True


class AsaasConnectionError(AsaasError):
    """The connection failed. ``maybe_committed`` is False when it failed before sending."""

    default_retryable = True


def parse_error_items(body: Any) -> list[AsaasErrorItem]:
    """Read ``{"errors": [{"code", "description"}, ...]}``; anything else yields ``[]``."""
    if not isinstance(body, Mapping):
        return []
    raw_items = body.get("errors")
    if not isinstance(raw_items, list):
        return []
    items = []
    for raw in raw_items:
        if isinstance(raw, Mapping):
            code = raw.get("code")
            description = raw.get("description")
            items.append(
                AsaasErrorItem(
                    code=str(code) if code is not None else "",
                    description=str(description) if description is not None else "",
                )
            )
    return items


def parse_reset_seconds(value: str | None) -> float | None:
    """Parse a ``RateLimit-Reset`` header (seconds until the window resets)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_for_status(
    status_code: int,
    body: Any,
    *,
    method: str,
    headers: Mapping[str, str],
    exchange: AsaasExchange | None,
) -> AsaasError:
    """Build the exception matching an unsuccessful HTTP answer."""
    items = parse_error_items(body)
    if status_code == 400:
        return AsaasValidationError(status_code=400, errors=items, exchange=exchange)
    if status_code == 401:
        return AsaasAuthenticationError(status_code=401, errors=items, exchange=exchange)
    if status_code == 403:
        return AsaasPermissionError(status_code=403, errors=items, exchange=exchange)
    if status_code == 404:
        return AsaasNotFoundError(status_code=404, errors=items, exchange=exchange)
    if status_code == 429:
        return AsaasRateLimitError(
            status_code=429,
            errors=items,
            reset_seconds=parse_reset_seconds(headers.get("RateLimit-Reset")),
            exchange=exchange,
        )
    if status_code >= 500:
        return AsaasServerError(
            status_code=status_code,
            errors=items,
            maybe_committed=method != "GET",
            exchange=exchange,
        )
    return AsaasError(status_code=status_code, errors=items, exchange=exchange)
