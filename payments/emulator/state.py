"""The emulator's state: accounts, customers and payments, behind one re-entrant lock.

Every public method takes the lock, so the threaded HTTP server can call them concurrently.
State lives in memory; when ``state_file`` is configured it is rewritten (atomically) after
every change and loaded at start. Payment operations live in ``payments.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from .clock import Clock
from .common import (
    ApiError,
    Json,
    JsonObject,
    dumps,
    invalid,
    loads,
    not_found,
    random_alnum,
    random_digits,
    to_decimal,
)
from .config import EmulatorConfig
from .documents import is_valid_cpf_cnpj, is_valid_mobile_phone, only_digits, person_type
from .models import Account, Customer, Payment

EventListener = Callable[[str, Payment, JsonObject | None], None]
T = TypeVar("T")

CUSTOMER_FIELDS = (
    "name", "cpfCnpj", "email", "phone", "mobilePhone", "address", "addressNumber", "complement",
    "province", "postalCode", "externalReference", "notificationDisabled", "additionalEmails",
    "municipalInscription", "stateInscription", "observations", "groupName", "company",
    "foreignCustomer",
)  # fmt: skip
ACCOUNT_REQUIRED = (
    "name", "email", "cpfCnpj", "mobilePhone", "incomeValue", "address", "addressNumber",
    "province", "postalCode",
)  # fmt: skip
ACCOUNT_OPTIONAL = ("loginEmail", "birthDate", "companyType", "phone", "site", "complement")
INVALID_DOCUMENT = ApiError(400, "invalid_object", "O CPF/CNPJ informado é inválido.")
INVALID_POSTAL_CODE = ApiError(
    400, "invalid_postalCode", "O CEP informado é inválido. Informe um CEP válido."
)


def paginate(items: list[T], query: dict[str, str]) -> tuple[list[T], int, int, bool]:
    """Slice by ``offset``/``limit`` (default 10, max 100): (page, offset, limit, hasMore)."""

    def number(key: str, default: int) -> int:
        try:
            return max(0, int(query.get(key, default)))
        except ValueError:
            raise invalid(key, f"O parâmetro {key} deve ser um número inteiro.") from None

    offset = number("offset", 0)
    limit = min(number("limit", 10), 100) or 10
    page = items[offset : offset + limit]
    return page, offset, limit, offset + len(page) < len(items)


def list_envelope(data: list[Json], total: int, offset: int, limit: int, more: bool) -> JsonObject:
    return {
        "object": "list",
        "hasMore": more,
        "totalCount": total,
        "limit": limit,
        "offset": offset,
        "data": data,
    }


class Store:
    def __init__(self, config: EmulatorConfig, listener: EventListener | None = None) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.listener = listener
        self.accounts: dict[str, Account] = {}
        self.customers: dict[str, Customer] = {}
        self.payments: dict[str, Payment] = {}
        self.balances: dict[str, Decimal] = {}  # account id -> available balance
        self.card_tokens: dict[str, JsonObject] = {}  # token -> {customer, number, brand}
        self.webhooks: dict[str, JsonObject] = {}  # webhook configuration id -> record
        self.counters: dict[str, int] = {}
        self.clock = Clock()
        self.root_wallet_id = config.root_wallet_id or str(uuid.uuid4())
        with self.lock:
            if not (config.state_file and self._load(config.state_file)):
                self.reset()

    # --- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Drop everything but the root account (same key and walletId as before)."""
        with self.lock:
            self.accounts.clear()
            self.customers.clear()
            self.payments.clear()
            self.balances.clear()
            self.card_tokens.clear()
            self.webhooks.clear()
            self.clock.reset()
            self.counters = {"customer": 8_000_000, "payment": 0, "invoice": 15_000_000}
            root = Account(
                id=str(uuid.uuid4()),
                api_key=self.config.api_key,
                wallet_id=self.root_wallet_id,
                parent_id=None,
                date_created=self.today(),
                data={"name": self.config.root_account_name, "personType": "JURIDICA"},
                account_number={"agency": "0001", "account": random_digits(6), "accountDigit": "0"},
            )
            self.accounts[root.id] = root
            if self.config.opening_balance:
                self.balances[root.id] = self.config.opening_balance
            self.save()

    def next_number(self, name: str) -> int:
        with self.lock:
            self.counters[name] += 1
            return self.counters[name]

    def today(self) -> str:
        return self.clock.today().isoformat()

    def emit(self, event: str, payment: Payment, extra: JsonObject | None = None) -> None:
        """Hand an event to the dispatcher (``extra`` = top-level keys, e.g. additionalInfo)."""
        if self.listener is not None:
            self.listener(event, payment, extra)

    # --- balances ------------------------------------------------------------------------------

    def balance(self, account_id: str) -> Decimal:
        with self.lock:
            return self.balances.get(account_id, Decimal("0.00"))

    def credit(self, account_id: str, amount: Decimal) -> None:
        """Add (or, negative, take) money; a balance may go below zero only through debts
        Asaas imposes (chargebacks, split reversals)."""
        with self.lock:
            self.balances[account_id] = self.balance(account_id) + amount

    def account_by_wallet(self, wallet_id: str) -> Account | None:
        with self.lock:
            for account in self.accounts.values():
                if account.wallet_id == wallet_id:
                    return account
            return None

    def save(self) -> None:
        path = self.config.state_file
        if not path:
            return
        with self.lock:
            snapshot: JsonObject = {
                "root_wallet_id": self.root_wallet_id,
                "counters": dict(self.counters.items()),
                "accounts": [_as_json(a) for a in self.accounts.values()],
                "customers": [_as_json(c) for c in self.customers.values()],
                "payments": [_as_json(p) for p in self.payments.values()],
                "balances": dict(self.balances.items()),
                "card_tokens": dict(self.card_tokens.items()),
                "webhooks": dict(self.webhooks.items()),
                "clock_offset_seconds": self.clock.offset.total_seconds(),
            }
            directory = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".emulator-state-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(dumps(snapshot))
            os.replace(tmp, path)

    def _load(self, path: str) -> bool:
        if not os.path.exists(path):
            return False
        with open(path, encoding="utf-8") as handle:
            data = loads(handle.read())
        if not isinstance(data, dict):
            return False
        self.root_wallet_id = str(data.get("root_wallet_id") or self.root_wallet_id)
        counters = data.get("counters")
        self.counters = (
            {k: int(str(v)) for k, v in counters.items()} if isinstance(counters, dict) else {}
        )
        self.accounts = {a.id: a for a in _records(data, "accounts", Account.from_dict)}
        self.customers = {c.id: c for c in _records(data, "customers", Customer.from_dict)}
        self.payments = {p.id: p for p in _records(data, "payments", Payment.from_dict)}
        balances = data.get("balances")
        if isinstance(balances, dict):
            for key, raw in balances.items():
                amount = to_decimal(raw)
                if amount is not None:
                    self.balances[key] = amount
        for name in ("card_tokens", "webhooks"):
            stored = data.get(name)
            if isinstance(stored, dict):
                getattr(self, name).update({k: v for k, v in stored.items() if isinstance(v, dict)})
        offset = to_decimal(data.get("clock_offset_seconds"))
        if offset:
            self.clock.advance(dt.timedelta(seconds=float(offset)))
        for account in self.accounts.values():  # the configured key always opens the root
            if account.parent_id is None:
                account.api_key = self.config.api_key
        return True

    # --- accounts --------------------------------------------------------------------------

    def account_by_key(self, api_key: str) -> Account | None:
        with self.lock:
            for account in self.accounts.values():
                if account.api_key == api_key:
                    return account
            return None

    def wallet_exists(self, wallet_id: str) -> bool:
        with self.lock:
            return any(a.wallet_id == wallet_id for a in self.accounts.values())

    def create_account(self, parent: Account, body: JsonObject) -> Account:
        for field in ACCOUNT_REQUIRED:
            value = body.get(field)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise invalid(field, f"O campo {field} deve ser informado.")
        document = str(body["cpfCnpj"])
        if not is_valid_cpf_cnpj(document):
            raise INVALID_DOCUMENT
        if not is_valid_mobile_phone(str(body["mobilePhone"])):
            raise invalid("mobilePhone", "O celular informado é inválido.")
        postal = only_digits(str(body["postalCode"]))
        if len(postal) != 8 or postal == postal[0] * 8:
            raise INVALID_POSTAL_CODE
        data: JsonObject = {k: body[k] for k in ACCOUNT_REQUIRED + ACCOUNT_OPTIONAL if k in body}
        data["cpfCnpj"] = only_digits(document)
        data["personType"] = person_type(document)
        with self.lock:
            account = Account(
                id=str(uuid.uuid4()),
                api_key=f"$aact_hmlg_{random_alnum(48)}",
                wallet_id=str(uuid.uuid4()),
                parent_id=parent.id,
                date_created=self.today(),
                data=data,
                account_number={"agency": "0001", "account": random_digits(6), "accountDigit": "0"},
            )
            self.accounts[account.id] = account
            self.save()
            return account

    def list_accounts(self, parent: Account, query: dict[str, str]) -> list[Account]:
        with self.lock:
            found = [a for a in self.accounts.values() if a.parent_id == parent.id]
        for key in ("cpfCnpj", "email", "name", "walletId"):
            wanted = query.get(key)
            if wanted is None:
                continue
            if key == "walletId":
                found = [a for a in found if a.wallet_id == wanted]
            elif key == "name":
                found = [a for a in found if wanted.lower() in str(a.data.get("name", "")).lower()]
            elif key == "cpfCnpj":
                found = [a for a in found if a.data.get(key) == only_digits(wanted)]
            else:
                found = [a for a in found if a.data.get(key) == wanted]
        return found

    def get_account(self, parent: Account, account_id: str) -> Account:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None or account.parent_id != parent.id:
                raise not_found()
            return account

    # --- customers -------------------------------------------------------------------------

    def _check_customer_fields(self, body: JsonObject, *, creating: bool) -> JsonObject:
        fields: JsonObject = {k: body[k] for k in CUSTOMER_FIELDS if k in body}
        name = fields.get("name")
        if (creating or "name" in fields) and (not isinstance(name, str) or not name.strip()):
            raise invalid("name", "O campo nome deve ser informado.")
        if creating or "cpfCnpj" in fields:
            document = fields.get("cpfCnpj")
            if not isinstance(document, str) or not document.strip():
                raise invalid("cpfCnpj", "O campo CPF/CNPJ deve ser informado.")
            if not is_valid_cpf_cnpj(document):
                raise INVALID_DOCUMENT
            fields["cpfCnpj"] = only_digits(document)
            fields["personType"] = person_type(document)
        mobile = fields.get("mobilePhone")
        if mobile not in (None, "") and not is_valid_mobile_phone(str(mobile)):
            raise invalid("mobilePhone", "O celular informado é inválido.")
        return fields

    def create_customer(self, account: Account, body: JsonObject) -> Customer:
        fields = self._check_customer_fields(body, creating=True)
        with self.lock:
            customer = Customer(
                id=f"cus_{self.next_number('customer'):012d}",
                account_id=account.id,
                date_created=self.today(),
                fields=fields,
            )
            self.customers[customer.id] = customer
            self.save()
            return customer

    def get_customer(self, account: Account, customer_id: str) -> Customer:
        with self.lock:
            customer = self.customers.get(customer_id)
            if customer is None or customer.account_id != account.id:
                raise not_found()
            return customer

    def list_customers(self, account: Account, query: dict[str, str]) -> list[Customer]:
        with self.lock:
            found = [
                c for c in self.customers.values() if c.account_id == account.id and not c.deleted
            ]
        for key in ("cpfCnpj", "externalReference", "email", "groupName"):
            if key in query:
                wanted = only_digits(query[key]) if key == "cpfCnpj" else query[key]
                found = [c for c in found if c.fields.get(key) == wanted]
        if "name" in query:
            name = query["name"].lower()
            found = [c for c in found if name in str(c.fields.get("name", "")).lower()]
        return sorted(found, key=lambda c: c.id, reverse=True)

    def update_customer(self, account: Account, customer_id: str, body: JsonObject) -> Customer:
        with self.lock:
            customer = self.get_customer(account, customer_id)
            if customer.deleted:
                raise ApiError(400, "invalid_action", "Não é possível alterar um cliente removido.")
            customer.fields.update(self._check_customer_fields(body, creating=False))
            self.save()
            return customer

    def set_customer_deleted(self, account: Account, customer_id: str, deleted: bool) -> Customer:
        with self.lock:
            customer = self.get_customer(account, customer_id)
            if customer.deleted == deleted:
                state = "removido" if deleted else "ativo"
                raise ApiError(400, "invalid_action", f"O cliente já está {state}.")
            customer.deleted = deleted
            self.save()
            return customer

    # --- summary -----------------------------------------------------------------------------

    def summary(self, base_url: str) -> JsonObject:
        with self.lock:
            payments = sorted(self.payments.values(), key=lambda p: p.seq)
            return {
                "counts": {
                    "accounts": len(self.accounts),
                    "customers": len(self.customers),
                    "payments": len(payments),
                    "deletedPayments": sum(1 for p in payments if p.deleted),
                },
                "rootWalletId": self.root_wallet_id,
                "accounts": [
                    {"id": a.id, "walletId": a.wallet_id, "parentId": a.parent_id}
                    for a in self.accounts.values()
                ],
                "payments": [p.render(base_url) for p in payments],
            }


def _as_json(record: object) -> Json:
    result: Json = dataclasses.asdict(record)  # type: ignore[call-overload]
    return result


def _records(data: JsonObject, key: str, build: Callable[[JsonObject], T]) -> Iterable[T]:
    items = data.get(key)
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                yield build(item)
