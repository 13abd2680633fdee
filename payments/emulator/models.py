"""In-memory records of the emulator and their Asaas JSON renderings."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .common import Json, JsonObject, to_decimal


def _dec(value: Json) -> Decimal:
    result = to_decimal(value)
    if result is None:
        raise ValueError(f"not a number in state: {value!r}")
    return result


def _opt_dec(value: Json) -> Decimal | None:
    return None if value is None else _dec(value)


@dataclasses.dataclass
class Account:
    id: str
    api_key: str
    wallet_id: str
    parent_id: str | None
    date_created: str
    data: JsonObject  # the submitted fields, Asaas names (name, email, cpfCnpj, ...)
    account_number: dict[str, str]

    @classmethod
    def from_dict(cls, data: JsonObject) -> Account:
        return cls(**data)  # type: ignore[arg-type]


@dataclasses.dataclass
class Customer:
    id: str
    account_id: str
    date_created: str
    fields: JsonObject  # Asaas names: name, cpfCnpj, email, ...
    deleted: bool = False

    @classmethod
    def from_dict(cls, data: JsonObject) -> Customer:
        return cls(**data)  # type: ignore[arg-type]


@dataclasses.dataclass
class Split:
    id: str
    wallet_id: str
    fixed_value: Decimal | None
    percentual_value: Decimal | None
    total_value: Decimal
    status: str = "PENDING"
    cancellation_reason: str | None = None
    external_reference: str | None = None
    description: str | None = None
    credit_date: str | None = None  # the day it settled (DONE)
    refunded_value: Decimal = Decimal("0.00")  # reversed from the receiver by splitRefunds

    @classmethod
    def from_dict(cls, data: JsonObject) -> Split:
        return cls(
            **{  # type: ignore[arg-type]
                **data,
                "fixed_value": _opt_dec(data["fixed_value"]),
                "percentual_value": _opt_dec(data["percentual_value"]),
                "total_value": _dec(data["total_value"]),
                "refunded_value": _dec(data.get("refunded_value", 0)),
            }
        )

    def render(self) -> JsonObject:
        body: JsonObject = {"id": self.id, "walletId": self.wallet_id}
        if self.fixed_value is not None:
            body["fixedValue"] = self.fixed_value
        if self.percentual_value is not None:
            body["percentualValue"] = self.percentual_value
        body.update(
            {
                "totalValue": self.total_value,
                "cancellationReason": self.cancellation_reason,
                "status": self.status,
                "externalReference": self.external_reference,
                "description": self.description,
            }
        )
        return body


@dataclasses.dataclass
class Refund:
    date_created: str
    value: Decimal
    description: str | None
    effective_date: str
    status: str = "DONE"
    end_to_end_identifier: str | None = None
    refunded_splits: list[JsonObject] = dataclasses.field(default_factory=list)

    @classmethod
    def from_dict(cls, data: JsonObject) -> Refund:
        return cls(**{**data, "value": _dec(data["value"])})  # type: ignore[arg-type]

    def render(self, receipt_url: str) -> JsonObject:
        return {
            "dateCreated": self.date_created,
            "status": self.status,
            "value": self.value,
            "endToEndIdentifier": self.end_to_end_identifier,
            "description": self.description,
            "effectiveDate": self.effective_date,
            "transactionReceiptUrl": receipt_url,
            "refundedSplits": list(self.refunded_splits),
        }


@dataclasses.dataclass
class Payment:
    id: str
    account_id: str
    customer_id: str
    seq: int
    date_created: str
    billing_type: str
    value: Decimal
    net_value: Decimal
    due_date: str
    original_due_date: str
    invoice_number: str
    description: str | None = None
    external_reference: str | None = None
    status: str = "PENDING"
    deleted: bool = False
    nosso_numero: str | None = None
    discount: JsonObject = dataclasses.field(default_factory=dict)
    fine: JsonObject = dataclasses.field(default_factory=dict)
    interest: JsonObject = dataclasses.field(default_factory=dict)
    postal_service: bool = False
    splits: list[Split] = dataclasses.field(default_factory=list)
    refunds: list[Refund] = dataclasses.field(default_factory=list)
    payment_date: str | None = None
    client_payment_date: str | None = None
    confirmed_date: str | None = None
    credit_date: str | None = None
    estimated_credit_date: str | None = None
    status_before_cash: str | None = None
    credit_card: JsonObject | None = None  # masked: creditCardNumber (last 4), brand, token
    chargeback: JsonObject | None = None
    status_before_chargeback: str | None = None
    status_before_refund: str | None = None
    refund_due_at: str | None = None  # REFUND_REQUESTED: when the card refund completes
    credited: bool = False  # the net value reached the issuer's balance
    split_settle_at: str | None = None  # when AWAITING_CREDIT splits become DONE

    @property
    def slug(self) -> str:
        return self.id.removeprefix("pay_")

    @property
    def refunded_total(self) -> Decimal:
        """Refunds requested so far (pending ones included; cancelled ones excluded)."""
        live = (r.value for r in self.refunds if r.status != "CANCELLED")
        return sum(live, Decimal("0"))

    @classmethod
    def from_dict(cls, data: JsonObject) -> Payment:
        splits = data.get("splits") or []
        refunds = data.get("refunds") or []
        assert isinstance(splits, list)
        assert isinstance(refunds, list)
        return cls(
            **{  # type: ignore[arg-type]
                **data,
                "value": _dec(data["value"]),
                "net_value": _dec(data["net_value"]),
                "splits": [Split.from_dict(s) for s in splits if isinstance(s, dict)],
                "refunds": [Refund.from_dict(r) for r in refunds if isinstance(r, dict)],
            }
        )

    def render(self, base_url: str) -> JsonObject:
        """The payment object as GET /v3/payments/{id} answers it (field order as Asaas)."""
        body: JsonObject = {
            "object": "payment",
            "id": self.id,
            "dateCreated": self.date_created,
            "customer": self.customer_id,
            "checkoutSession": None,
            "paymentLink": None,
            "value": self.value,
            "netValue": self.net_value,
            "originalValue": None,
            "interestValue": None,
            "description": self.description,
            "billingType": self.billing_type,
        }
        if self.billing_type == "BOLETO":
            body["canBePaidAfterDueDate"] = True
        if self.billing_type == "CREDIT_CARD":
            body["confirmedDate"] = self.confirmed_date
            body["creditCard"] = dict(self.credit_card) if self.credit_card else None
        elif self.confirmed_date is not None:
            body["confirmedDate"] = self.confirmed_date
        paid = self.confirmed_date is not None and self.status != "RECEIVED_IN_CASH"
        has_slip = self.billing_type in ("BOLETO", "UNDEFINED")
        body.update(
            {
                "pixTransaction": None,
                "status": self.status,
                "dueDate": self.due_date,
                "originalDueDate": self.original_due_date,
                "paymentDate": self.payment_date,
                "clientPaymentDate": self.client_payment_date,
                "installmentNumber": None,
                "invoiceUrl": f"{base_url}/i/{self.slug}",
                "invoiceNumber": self.invoice_number,
                "externalReference": self.external_reference,
                "deleted": self.deleted,
                "anticipated": False,
                "anticipable": False,
                "creditDate": self.credit_date,
                "estimatedCreditDate": self.estimated_credit_date,
                "transactionReceiptUrl": f"{base_url}/comprovantes/{self.slug}" if paid else None,
                "nossoNumero": self.nosso_numero,
                "bankSlipUrl": f"{base_url}/b/pdf/{self.slug}" if has_slip else None,
                "lastInvoiceViewedDate": None,
                "lastBankSlipViewedDate": None,
                "discount": dict(self.discount),
                "fine": dict(self.fine),
                "interest": dict(self.interest),
                "postalService": self.postal_service,
            }
        )
        if self.splits:
            body["split"] = [split.render() for split in self.splits]
        if self.chargeback is not None:
            body["chargeback"] = dict(self.chargeback)
        body["escrow"] = None
        receipt = f"{base_url}/comprovantes/estorno/{self.slug}"
        body["refunds"] = [r.render(receipt) for r in self.refunds] if self.refunds else None
        return body


def render_customer(customer: Customer) -> JsonObject:
    fields = customer.fields

    def text(key: str) -> Json:
        return fields.get(key)

    return {
        "object": "customer",
        "id": customer.id,
        "dateCreated": customer.date_created,
        "name": text("name"),
        "email": text("email"),
        "company": text("company"),
        "phone": text("phone"),
        "mobilePhone": text("mobilePhone"),
        "address": text("address"),
        "addressNumber": text("addressNumber"),
        "complement": text("complement"),
        "province": text("province"),
        "postalCode": text("postalCode"),
        "cpfCnpj": text("cpfCnpj"),
        "personType": text("personType"),
        "deleted": customer.deleted,
        "additionalEmails": text("additionalEmails"),
        "externalReference": text("externalReference"),
        "notificationDisabled": bool(fields.get("notificationDisabled")),
        "observations": text("observations"),
        "municipalInscription": text("municipalInscription"),
        "stateInscription": text("stateInscription"),
        "canDelete": not customer.deleted,
        "cannotBeDeletedReason": None,
        "canEdit": not customer.deleted,
        "cannotEditReason": None,
        "city": None,
        "cityName": None,
        "state": None,
        "country": "Brasil",
    }


def render_account(account: Account, *, with_api_key: bool = False) -> JsonObject:
    data = account.data
    body: JsonObject = {
        "object": "account",
        "id": account.id,
        "name": data.get("name"),
        "email": data.get("email"),
        "loginEmail": data.get("loginEmail") or data.get("email"),
        "phone": data.get("phone"),
        "mobilePhone": data.get("mobilePhone"),
        "address": data.get("address"),
        "addressNumber": data.get("addressNumber"),
        "complement": data.get("complement"),
        "province": data.get("province"),
        "postalCode": data.get("postalCode"),
        "cpfCnpj": data.get("cpfCnpj"),
        "birthDate": data.get("birthDate"),
        "personType": data.get("personType"),
        "companyType": data.get("companyType"),
        "city": None,
        "state": None,
        "country": "Brasil",
        "tradingName": data.get("name"),
        "site": data.get("site"),
        "incomeValue": data.get("incomeValue"),
        "walletId": account.wallet_id,
        "accountNumber": dict(account.account_number.items()),
        "commercialInfoExpiration": None,
    }
    if with_api_key:
        body["accessToken"] = None
        body["apiKey"] = account.api_key
    return body
