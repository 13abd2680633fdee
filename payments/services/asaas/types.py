"""Typed results of the Asaas client and the split rule it accepts.

Every result is a frozen dataclass built by ``from_api(mapping)``, which ignores unknown keys
and tolerates missing ones (Asaas omits null relational keys and adds undocumented ones).
Enumerations (statuses, billing types, cancellation reasons) are plain ``str``: Asaas adds
values without notice. Amounts are ``Decimal``; ``date`` fields are ``datetime.date`` and
``"YYYY-MM-DD HH:MM:SS"`` fields are naive ``datetime`` (Asaas sends no timezone).

Each result carries ``exchange``: the scrubbed request/response record of the call that
produced it (see ``AsaasExchange``). Personal data stays out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from payments.services.asaas.payloads import scrub_payload, to_jsonable, to_money, to_percent

JsonDict = dict[str, Any]
T = TypeVar("T")


class BillingType:
    """Known ``billingType`` values (the field itself stays an open ``str``)."""

    UNDEFINED = "UNDEFINED"
    BOLETO = "BOLETO"
    CREDIT_CARD = "CREDIT_CARD"
    PIX = "PIX"


# --- tolerant field readers -------------------------------------------------------------------


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return value if isinstance(value, str) else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, (float, str)):
        # A float only shows up if someone decoded without parse_float; repr keeps its digits.
        try:
            return Decimal(repr(value) if isinstance(value, float) else value)
        except InvalidOperation:
            return None
    return None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _chargeback_status(value: Any) -> str | None:
    return _str(value.get("status")) if isinstance(value, Mapping) else None


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else False


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


# --- exchange record -------------------------------------------------------------------------


@dataclass(frozen=True)
class AsaasExchange:
    """Scrubbed record of one HTTP exchange with Asaas (the last attempt of a call).

    ``query``, ``request_body`` and ``response_body`` went through ``scrub_payload``; a
    non-JSON response body is kept as (truncated) text. ``as_dict()`` gives a JSON-ready dict
    (``Decimal`` as exact strings) for storing in a JSON column.
    """

    method: str
    path: str
    query: Mapping[str, Any]
    request_body: Any
    status_code: int | None
    response_body: Any
    elapsed_ms: int
    attempt: int = 1

    @property
    def request(self) -> JsonDict:
        return {
            "method": self.method,
            "path": self.path,
            "query": to_jsonable(self.query),
            "body": to_jsonable(self.request_body),
        }

    @property
    def response(self) -> JsonDict:
        return {"status": self.status_code, "body": to_jsonable(self.response_body)}

    def as_dict(self) -> JsonDict:
        return {
            "request": self.request,
            "response": self.response,
            "elapsed_ms": self.elapsed_ms,
            "attempt": self.attempt,
        }


# --- request value objects -------------------------------------------------------------------


@dataclass(frozen=True)
class SplitRule:
    """One receiver of a charge's split: a fixed amount and/or a percentage of ``netValue``."""

    wallet_id: str
    fixed_value: Decimal | None = None
    percentual_value: Decimal | None = None
    external_reference: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if not self.wallet_id:
            raise ValueError("wallet_id is required")
        if self.fixed_value is None and self.percentual_value is None:
            raise ValueError("a split rule needs fixed_value or percentual_value")
        if self.fixed_value is not None:
            object.__setattr__(self, "fixed_value", to_money(self.fixed_value, "fixedValue"))
        if self.percentual_value is not None:
            object.__setattr__(self, "percentual_value", to_percent(self.percentual_value))

    def to_api(self) -> JsonDict:
        body: JsonDict = {"walletId": self.wallet_id}
        if self.fixed_value is not None:
            body["fixedValue"] = self.fixed_value
        if self.percentual_value is not None:
            body["percentualValue"] = self.percentual_value
        if self.external_reference is not None:
            body["externalReference"] = self.external_reference
        if self.description is not None:
            body["description"] = self.description
        return body


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsaasCustomer:
    id: str
    name: str | None = field(default=None, repr=False)
    cpf_cnpj: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    external_reference: str | None = None
    deleted: bool = False
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasCustomer:
        return cls(
            id=_str(data.get("id")) or "",
            name=_str(data.get("name")),
            cpf_cnpj=_str(data.get("cpfCnpj")),
            email=_str(data.get("email")),
            external_reference=_str(data.get("externalReference")),
            deleted=_bool(data.get("deleted")),
            exchange=exchange,
        )


@dataclass(frozen=True)
class AsaasSplit:
    id: str
    wallet_id: str | None = None
    fixed_value: Decimal | None = None
    percentual_value: Decimal | None = None
    total_value: Decimal | None = None
    status: str | None = None
    cancellation_reason: str | None = None
    external_reference: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AsaasSplit:
        return cls(
            id=_str(data.get("id")) or "",
            wallet_id=_str(data.get("walletId")),
            fixed_value=_decimal(data.get("fixedValue")),
            percentual_value=_decimal(data.get("percentualValue")),
            total_value=_decimal(data.get("totalValue")),
            status=_str(data.get("status")),
            cancellation_reason=_str(data.get("cancellationReason")),
            external_reference=_str(data.get("externalReference")),
        )


@dataclass(frozen=True)
class AsaasRefund:
    status: str | None = None
    value: Decimal | None = None
    date_created: datetime | None = None
    description: str | None = None
    end_to_end_identifier: str | None = None
    transaction_receipt_url: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AsaasRefund:
        return cls(
            status=_str(data.get("status")),
            value=_decimal(data.get("value")),
            date_created=_datetime(data.get("dateCreated")),
            description=_str(data.get("description")),
            end_to_end_identifier=_str(data.get("endToEndIdentifier")),
            transaction_receipt_url=_str(data.get("transactionReceiptUrl")),
        )


@dataclass(frozen=True)
class AsaasPayment:
    """A charge. ``raw`` is the whole response, scrubbed, for fields not modelled here."""

    id: str
    customer: str | None = None
    status: str | None = None
    billing_type: str | None = None
    value: Decimal | None = None
    net_value: Decimal | None = None
    due_date: date | None = None
    invoice_url: str | None = None
    external_reference: str | None = None
    deleted: bool = False
    payment_date: date | None = None
    client_payment_date: date | None = None
    confirmed_date: date | None = None
    date_created: date | None = None
    credit_date: date | None = None
    estimated_credit_date: date | None = None
    description: str | None = None
    splits: tuple[AsaasSplit, ...] = ()
    refunds: tuple[AsaasRefund, ...] = ()
    chargeback_status: str | None = None  # ``chargeback.status`` when there is one
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasPayment:
        return cls(
            id=_str(data.get("id")) or "",
            customer=_str(data.get("customer")),
            status=_str(data.get("status")),
            billing_type=_str(data.get("billingType")),
            value=_decimal(data.get("value")),
            net_value=_decimal(data.get("netValue")),
            due_date=_date(data.get("dueDate")),
            invoice_url=_str(data.get("invoiceUrl")),
            external_reference=_str(data.get("externalReference")),
            deleted=_bool(data.get("deleted")),
            payment_date=_date(data.get("paymentDate")),
            client_payment_date=_date(data.get("clientPaymentDate")),
            confirmed_date=_date(data.get("confirmedDate")),
            date_created=_date(data.get("dateCreated")),
            credit_date=_date(data.get("creditDate")),
            estimated_credit_date=_date(data.get("estimatedCreditDate")),
            description=_str(data.get("description")),
            splits=tuple(AsaasSplit.from_api(item) for item in _dicts(data.get("split"))),
            refunds=tuple(AsaasRefund.from_api(item) for item in _dicts(data.get("refunds"))),
            chargeback_status=_chargeback_status(data.get("chargeback")),
            raw=scrub_payload(dict(data)),
            exchange=exchange,
        )


@dataclass(frozen=True)
class AsaasPaymentStatus:
    status: str | None
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasPaymentStatus:
        return cls(status=_str(data.get("status")), exchange=exchange)


@dataclass(frozen=True)
class AsaasDeleted:
    id: str
    deleted: bool
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasDeleted:
        return cls(
            id=_str(data.get("id")) or "", deleted=_bool(data.get("deleted")), exchange=exchange
        )


@dataclass(frozen=True)
class AsaasAccount:
    """A created subaccount. ``api_key`` is returned by Asaas only once: store it now."""

    id: str
    wallet_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasAccount:
        return cls(
            id=_str(data.get("id")) or "",
            wallet_id=_str(data.get("walletId")),
            api_key=_str(data.get("apiKey")),
            exchange=exchange,
        )


@dataclass(frozen=True)
class AsaasWallet:
    id: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AsaasWallet:
        return cls(id=_str(data.get("id")) or "")


@dataclass(frozen=True)
class AsaasPixQrCode:
    encoded_image: str | None = field(default=None, repr=False)
    payload: str | None = None
    expiration_date: datetime | None = None
    description: str | None = None
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, exchange: AsaasExchange | None = None
    ) -> AsaasPixQrCode:
        return cls(
            encoded_image=_str(data.get("encodedImage")),
            payload=_str(data.get("payload")),
            expiration_date=_datetime(data.get("expirationDate")),
            description=_str(data.get("description")),
            exchange=exchange,
        )


@dataclass(frozen=True)
class AsaasPage(Generic[T]):
    """One page of a list endpoint (``{"object": "list", "hasMore", "totalCount", ...}``)."""

    data: tuple[T, ...]
    has_more: bool = False
    total_count: int | None = None
    limit: int | None = None
    offset: int | None = None
    exchange: AsaasExchange | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls,
        data: Mapping[str, Any],
        item: Callable[[Mapping[str, Any]], T],
        *,
        exchange: AsaasExchange | None = None,
    ) -> AsaasPage[T]:
        def _int(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(
            data=tuple(item(entry) for entry in _dicts(data.get("data"))),
            has_more=_bool(data.get("hasMore")),
            total_count=_int(data.get("totalCount")),
            limit=_int(data.get("limit")),
            offset=_int(data.get("offset")),
            exchange=exchange,
        )
