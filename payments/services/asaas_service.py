"""The one HTTP client to Asaas v3. Import everything Asaas-related from here.

Build it from Django settings (``ASAAS_API_URL``, ``ASAAS_API_KEY``, ``ASAAS_TIMEOUT``,
``ASAAS_USER_AGENT``) or explicitly::

    asaas = AsaasService.from_settings()
    asaas = AsaasService(base_url="http://127.0.0.1:8001/v3", api_key=key)

Methods are named after the API (``customer_create``, ``payment_create``, ``payment_refund``,
``sandbox_payment_confirm``...), take keyword-only arguments, return frozen dataclasses
(``AsaasCustomer``, ``AsaasPayment``, ``AsaasPage[...]``...) and raise only ``AsaasError``
subclasses. The client never touches the database.

Money is ``Decimal`` end to end: request amounts accept ``Decimal``, ``int`` or ``str`` (never
``float``) with at most two places and are written to JSON as exact digits; responses are
decoded with ``parse_float=Decimal``.

Recording payloads. Every result has an ``exchange`` attribute (``AsaasExchange``) holding the
*scrubbed* request and response of the call (secrets and personal data masked by
``scrub_payload``); ``exchange.as_dict()`` is JSON-ready for a ``JSONField``. Failed calls
attach the same record to the raised error (``error.exchange``), and
``AsaasService.last_exchange`` holds the latest one of the current thread (useful after a call
that returned ``None``, such as ``payment_find_by_external_reference``). ``AsaasPayment.raw``
is the full scrubbed response, for fields the dataclass does not model.

Retries. The client retries GETs on network errors, timeouts, 5xx and 429 (with backoff). It
never retries POST/PUT/DELETE: when such a call raises an error with ``maybe_committed=True``
(read timeout, dropped connection, 5xx), look the object up by ``externalReference`` before
sending it again — Asaas has no idempotency key and accepts duplicates.

Logging goes to the ``payments.asaas`` logger, one line per HTTP attempt, without the API key,
query values, bodies or personal data.
"""

from payments.services.asaas.client import MAX_PAGE_SIZE, AsaasService
from payments.services.asaas.errors import (
    AsaasAuthenticationError,
    AsaasConfigurationError,
    AsaasConnectionError,
    AsaasError,
    AsaasErrorItem,
    AsaasNotFoundError,
    AsaasPermissionError,
    AsaasRateLimitError,
    AsaasServerError,
    AsaasTimeoutError,
    AsaasValidationError,
)
from payments.services.asaas.payloads import decode_json, encode_json, scrub_payload, to_money
from payments.services.asaas.transport import DEFAULT_TIMEOUT, DEFAULT_USER_AGENT
from payments.services.asaas.types import (
    AsaasAccount,
    AsaasCustomer,
    AsaasDeleted,
    AsaasExchange,
    AsaasPage,
    AsaasPayment,
    AsaasPaymentStatus,
    AsaasPixQrCode,
    AsaasRefund,
    AsaasSplit,
    AsaasWallet,
    BillingType,
    SplitRule,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "MAX_PAGE_SIZE",
    "AsaasAccount",
    "AsaasAuthenticationError",
    "AsaasConfigurationError",
    "AsaasConnectionError",
    "AsaasCustomer",
    "AsaasDeleted",
    "AsaasError",
    "AsaasErrorItem",
    "AsaasExchange",
    "AsaasNotFoundError",
    "AsaasPage",
    "AsaasPayment",
    "AsaasPaymentStatus",
    "AsaasPermissionError",
    "AsaasPixQrCode",
    "AsaasRateLimitError",
    "AsaasRefund",
    "AsaasServerError",
    "AsaasService",
    "AsaasSplit",
    "AsaasTimeoutError",
    "AsaasValidationError",
    "AsaasWallet",
    "BillingType",
    "SplitRule",
    "decode_json",
    "encode_json",
    "scrub_payload",
    "to_money",
]
