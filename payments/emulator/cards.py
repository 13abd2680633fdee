"""Credit-card data: validation, sandbox declines, brand, tokens (never the full number).

Verified against public sandbox captures: an approved card answers the payment CONFIRMED with
``creditCard: {creditCardNumber: <last 4>, creditCardBrand, creditCardToken: <uuid>}``;
``5184019740373151`` and ``4916561358240741`` answer 400 ``invalid_action`` "Transação não
autorizada..."; an unknown token (or another customer's) answers 400 ``invalid_creditCard``
"CreditCardToken <t> não encontrado.". Field checks below (which fields are required, their
error codes) are guesses modelled on the documented DTOs.
"""

from __future__ import annotations

import uuid

from .common import ApiError, Json, JsonObject, invalid
from .documents import only_digits
from .state import Store

DECLINED_NUMBERS = frozenset({"5184019740373151", "4916561358240741"})
DECLINED = ApiError(
    400,
    "invalid_action",
    "Transação não autorizada. Verifique os dados do cartão de crédito e tente novamente.",
)
CARD_FIELDS = ("holderName", "number", "expiryMonth", "expiryYear", "ccv")
HOLDER_FIELDS = ("name", "email", "cpfCnpj", "postalCode", "addressNumber", "phone")


def brand(number: str) -> str:
    if number.startswith(("34", "37")):
        return "AMEX"
    if number.startswith(("4011", "4312", "4389", "4514", "4576", "5041", "5066", "5067", "6362")):
        return "ELO"
    if number.startswith("4"):
        return "VISA"
    prefix = int(number[:4]) if len(number) >= 4 else 0
    if number[:2] in ("51", "52", "53", "54", "55") or 2221 <= prefix <= 2720:
        return "MASTERCARD"
    if number.startswith(("606282", "3841")):
        return "HIPERCARD"
    return "UNKNOWN"


def _card_number(card: Json) -> str:
    if not isinstance(card, dict):
        raise invalid("creditCard", "Informe os dados do cartão de crédito.")
    for field in CARD_FIELDS:
        value = card.get(field)
        if value is None or not str(value).strip():
            raise invalid("creditCard", f"O campo {field} do cartão deve ser informado.")
    number = only_digits(str(card["number"]))
    if not 13 <= len(number) <= 19:
        raise invalid("creditCard", "O número do cartão de crédito é inválido.")
    if not only_digits(str(card["ccv"])) or len(only_digits(str(card["ccv"]))) not in (3, 4):
        raise invalid("creditCard", "O código de segurança do cartão é inválido.")
    return number


def _check_holder(holder: Json) -> None:
    if not isinstance(holder, dict):
        raise invalid("creditCardHolderInfo", "Informe os dados do titular do cartão.")
    for field in HOLDER_FIELDS:
        value = holder.get(field)
        if value is None or not str(value).strip():
            raise invalid("creditCardHolderInfo", f"O campo {field} do titular deve ser informado.")


def tokenize(store: Store, customer_id: str, body: JsonObject) -> JsonObject:
    """Check card + holder, decline the sandbox's decline numbers, store a masked token."""
    number = _card_number(body.get("creditCard"))
    _check_holder(body.get("creditCardHolderInfo"))
    if number in DECLINED_NUMBERS:
        raise DECLINED
    masked: JsonObject = {
        "creditCardNumber": number[-4:],
        "creditCardBrand": brand(number),
        "creditCardToken": str(uuid.uuid4()),
    }
    with store.lock:
        store.card_tokens[str(masked["creditCardToken"])] = {**masked, "customer": customer_id}
    return masked


def from_token(store: Store, customer_id: str, token: Json) -> JsonObject:
    with store.lock:
        stored = store.card_tokens.get(str(token))
    if stored is None or stored.get("customer") != customer_id:
        raise invalid("creditCard", f"CreditCardToken {token} não encontrado.")
    return {k: stored[k] for k in ("creditCardNumber", "creditCardBrand", "creditCardToken")}


def card_from_request(store: Store, customer_id: str, body: JsonObject) -> JsonObject | None:
    """The masked card of a create/pay request, or None when it carries no card data."""
    if body.get("creditCardToken"):
        return from_token(store, customer_id, body["creditCardToken"])
    if body.get("creditCard") is not None:
        return tokenize(store, customer_id, body)
    return None
