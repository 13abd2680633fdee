"""``AsaasService``: the one HTTP client to Asaas v3 (see ``payments.services.asaas_service``)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from payments.services.asaas.errors import AsaasConfigurationError
from payments.services.asaas.payloads import to_money
from payments.services.asaas.transport import (
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    AsaasTransport,
)
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
    AsaasWallet,
    JsonDict,
    SplitRule,
)

logger = logging.getLogger("payments.asaas")

MAX_PAGE_SIZE = 100
_DOCUMENT_PUNCTUATION = str.maketrans("", "", ".-/ ")


def _segment(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"{what} is required")
    return quote(value, safe="")


def _page_params(offset: int, limit: int) -> JsonDict:
    if offset < 0:
        raise ValueError("offset must be >= 0")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    return {"offset": offset, "limit": limit}


def _document(cpf_cnpj: str) -> str:
    # Strip formatting only: CNPJs are becoming alphanumeric, so letters must survive.
    document = cpf_cnpj.translate(_DOCUMENT_PUNCTUATION)
    if not document:
        raise ValueError("cpf_cnpj is required")
    return document


class AsaasService:
    """Typed client for the Asaas v3 endpoints this project uses.

    GET requests are retried (``max_retries`` times) on connection errors, timeouts, 5xx and
    429, with exponential backoff and jitter; a 429 waits ``RateLimit-Reset`` seconds, and is
    not retried when that exceeds ``backoff_max``. POST/PUT/DELETE are never retried here:
    the caller decides, after looking the object up by ``externalReference``.
    """

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
        self._transport = AsaasTransport(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            user_agent=user_agent,
            session=session,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            sleep=sleep,
            rng=rng,
        )
        self._call = self._transport.call

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def timeout(self) -> tuple[float, float]:
        return self._transport.timeout

    @property
    def user_agent(self) -> str:
        return self._transport.user_agent

    @classmethod
    def from_settings(cls, **overrides: Any) -> AsaasService:
        """Build a client from ``ASAAS_API_URL``, ``ASAAS_API_KEY``, ``ASAAS_TIMEOUT`` (read
        timeout in seconds) and ``ASAAS_USER_AGENT``; ``overrides`` win over settings."""
        from django.conf import settings

        base_url = getattr(settings, "ASAAS_API_URL", "") or ""
        api_key = getattr(settings, "ASAAS_API_KEY", "") or ""
        if not base_url or not api_key:
            raise AsaasConfigurationError("ASAAS_API_URL and ASAAS_API_KEY must both be set")
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT
        configured_timeout: Any = getattr(settings, "ASAAS_TIMEOUT", None)
        if configured_timeout not in (None, ""):
            try:
                timeout = float(configured_timeout)
            except (TypeError, ValueError):
                raise AsaasConfigurationError("ASAAS_TIMEOUT must be a number of seconds") from None
            if timeout <= 0:
                raise AsaasConfigurationError("ASAAS_TIMEOUT must be positive")
        options: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key,
            "timeout": timeout,
            "user_agent": getattr(settings, "ASAAS_USER_AGENT", None) or DEFAULT_USER_AGENT,
        }
        options.update(overrides)
        return cls(**options)

    def with_api_key(self, api_key: str) -> AsaasService:
        """A client for another account (e.g. a subaccount), sharing this one's session."""
        return AsaasService(
            base_url=self.base_url,
            api_key=api_key,
            timeout=self.timeout,
            user_agent=self.user_agent,
            session=self._transport.session,
            max_retries=self._transport.max_retries,
            backoff_base=self._transport.backoff[0],
            backoff_max=self._transport.backoff[1],
            sleep=self._transport.sleep,
            rng=self._transport.rng,
        )

    def __repr__(self) -> str:
        return f"AsaasService(base_url={self.base_url!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> AsaasService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def last_exchange(self) -> AsaasExchange | None:
        """Scrubbed record of the latest HTTP exchange made by this thread, even a failed one."""
        return self._transport.last_exchange

    # --- customers ---------------------------------------------------------------------------

    def customer_create(
        self,
        *,
        name: str,
        cpf_cnpj: str,
        email: str | None = None,
        mobile_phone: str | None = None,
        external_reference: str | None = None,
        notification_disabled: bool = True,
    ) -> AsaasCustomer:
        body: JsonDict = {"name": name, "cpfCnpj": _document(cpf_cnpj)}
        if email is not None:
            body["email"] = email
        if mobile_phone is not None:
            body["mobilePhone"] = mobile_phone
        if external_reference is not None:
            body["externalReference"] = external_reference
        body["notificationDisabled"] = notification_disabled
        data, exchange = self._call("POST", "/customers", body=body)
        return AsaasCustomer.from_api(data, exchange=exchange)

    def customer_get(self, id: str) -> AsaasCustomer:
        data, exchange = self._call("GET", f"/customers/{_segment(id, 'customer id')}")
        return AsaasCustomer.from_api(data, exchange=exchange)

    def customer_list(
        self,
        *,
        cpf_cnpj: str | None = None,
        external_reference: str | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> AsaasPage[AsaasCustomer]:
        params = _page_params(offset, limit)
        if cpf_cnpj is not None:
            params["cpfCnpj"] = _document(cpf_cnpj)
        if external_reference is not None:
            params["externalReference"] = external_reference
        data, exchange = self._call("GET", "/customers", params=params)
        return AsaasPage.from_api(data, AsaasCustomer.from_api, exchange=exchange)

    # --- accounts and wallets ----------------------------------------------------------------

    def account_create(
        self,
        *,
        name: str,
        email: str,
        cpf_cnpj: str,
        mobile_phone: str,
        income_value: Decimal | int | str,
        address: str,
        address_number: str,
        province: str,
        postal_code: str,
        birth_date: date | None = None,
        company_type: str | None = None,
        login_email: str | None = None,
        phone: str | None = None,
        site: str | None = None,
        complement: str | None = None,
    ) -> AsaasAccount:
        """Create a subaccount. Its ``api_key`` is returned only this once: store it."""
        body: JsonDict = {
            "name": name,
            "email": email,
            "cpfCnpj": _document(cpf_cnpj),
            "mobilePhone": mobile_phone,
            "incomeValue": to_money(income_value, "incomeValue"),
            "address": address,
            "addressNumber": address_number,
            "province": province,
            "postalCode": postal_code,
        }
        optional: JsonDict = {
            "birthDate": birth_date,
            "companyType": company_type,
            "loginEmail": login_email,
            "phone": phone,
            "site": site,
            "complement": complement,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        data, exchange = self._call("POST", "/accounts", body=body)
        return AsaasAccount.from_api(data, exchange=exchange)

    def wallet_list(self) -> AsaasPage[AsaasWallet]:
        """Wallets of the account whose key this client uses (see ``with_api_key``)."""
        data, exchange = self._call("GET", "/wallets/")
        return AsaasPage.from_api(data, AsaasWallet.from_api, exchange=exchange)

    # --- payments ----------------------------------------------------------------------------

    def payment_create(
        self,
        *,
        customer: str,
        billing_type: str,
        value: Decimal | int | str,
        due_date: date,
        external_reference: str,
        description: str | None = None,
        split: Sequence[SplitRule],
    ) -> AsaasPayment:
        """Create a charge. Never retried: on ``maybe_committed`` errors, look it up by
        ``external_reference`` (``payment_find_by_external_reference``) before re-sending."""
        if not external_reference:
            raise ValueError("external_reference is required (it is how retries find the charge)")
        body: JsonDict = {
            "customer": customer,
            "billingType": billing_type,
            "value": to_money(value),
            "dueDate": due_date,
            "externalReference": external_reference,
        }
        if description is not None:
            body["description"] = description
        if split:
            body["split"] = [rule.to_api() for rule in split]
        data, exchange = self._call("POST", "/payments", body=body)
        return AsaasPayment.from_api(data, exchange=exchange)

    def payment_get(self, id: str) -> AsaasPayment:
        data, exchange = self._call("GET", f"/payments/{_segment(id, 'payment id')}")
        return AsaasPayment.from_api(data, exchange=exchange)

    def payment_list(
        self,
        *,
        external_reference: str | None = None,
        customer: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> AsaasPage[AsaasPayment]:
        params = _page_params(offset, limit)
        if external_reference is not None:
            params["externalReference"] = external_reference
        if customer is not None:
            params["customer"] = customer
        if status is not None:
            params["status"] = status
        data, exchange = self._call("GET", "/payments", params=params)
        return AsaasPage.from_api(data, AsaasPayment.from_api, exchange=exchange)

    def payment_find_by_external_reference(self, external_reference: str) -> AsaasPayment | None:
        """The newest non-deleted charge whose ``externalReference`` equals the given one."""
        if not external_reference:
            raise ValueError("external_reference is required")
        page = self.payment_list(external_reference=external_reference, limit=MAX_PAGE_SIZE)
        matches = [
            payment
            for payment in page.data
            if payment.external_reference == external_reference and not payment.deleted
        ]
        if page.has_more:
            logger.warning("asaas more than %d charges share one externalReference", MAX_PAGE_SIZE)
        # Asaas lists newest first; the stable sort keeps that order among same-day charges.
        matches.sort(key=lambda payment: payment.date_created or date.min, reverse=True)
        return matches[0] if matches else None

    def payment_refunds(self, id: str) -> AsaasPage[AsaasRefund]:
        """The refunds of a payment (``GET /payments/{id}/refunds``), newest first."""
        data, exchange = self._call("GET", f"/payments/{_segment(id, 'payment id')}/refunds")
        return AsaasPage.from_api(data, AsaasRefund.from_api, exchange=exchange)

    def payment_delete(self, id: str) -> AsaasDeleted:
        data, exchange = self._call("DELETE", f"/payments/{_segment(id, 'payment id')}")
        return AsaasDeleted.from_api(data, exchange=exchange)

    def payment_restore(self, id: str) -> AsaasPayment:
        data, exchange = self._call("POST", f"/payments/{_segment(id, 'payment id')}/restore")
        return AsaasPayment.from_api(data, exchange=exchange)

    def payment_refund(
        self,
        id: str,
        *,
        value: Decimal | int | str | None = None,
        description: str | None = None,
    ) -> AsaasPayment:
        """Refund fully (``value=None``) or partially. Asaas keeps its fees."""
        body: JsonDict = {}
        if value is not None:
            body["value"] = to_money(value)
        if description is not None:
            body["description"] = description
        data, exchange = self._call(
            "POST", f"/payments/{_segment(id, 'payment id')}/refund", body=body
        )
        return AsaasPayment.from_api(data, exchange=exchange)

    def payment_receive_in_cash(
        self,
        id: str,
        *,
        payment_date: date,
        value: Decimal | int | str,
        notify_customer: bool = False,
    ) -> AsaasPayment:
        body: JsonDict = {
            "paymentDate": payment_date,
            "value": to_money(value),
            "notifyCustomer": notify_customer,
        }
        data, exchange = self._call(
            "POST", f"/payments/{_segment(id, 'payment id')}/receiveInCash", body=body
        )
        return AsaasPayment.from_api(data, exchange=exchange)

    def payment_pix_qr_code(self, id: str) -> AsaasPixQrCode:
        data, exchange = self._call("GET", f"/payments/{_segment(id, 'payment id')}/pixQrCode")
        return AsaasPixQrCode.from_api(data, exchange=exchange)

    def payment_status(self, id: str) -> AsaasPaymentStatus:
        data, exchange = self._call("GET", f"/payments/{_segment(id, 'payment id')}/status")
        return AsaasPaymentStatus.from_api(data, exchange=exchange)

    def sandbox_payment_confirm(self, id: str) -> AsaasPayment:
        """Sandbox only: mark a PIX/BOLETO charge as paid."""
        path = f"/sandbox/payment/{_segment(id, 'payment id')}/confirm"
        data, exchange = self._call("POST", path)
        return AsaasPayment.from_api(data, exchange=exchange)

    def sandbox_payment_overdue(self, id: str) -> AsaasPayment:
        """Sandbox only: force a charge to OVERDUE."""
        path = f"/sandbox/payment/{_segment(id, 'payment id')}/overdue"
        data, exchange = self._call("POST", path)
        return AsaasPayment.from_api(data, exchange=exchange)

    # --- transport ---------------------------------------------------------------------------


__all__ = ["MAX_PAGE_SIZE", "AsaasService"]
