from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.services.asaas_service import (
    SplitRule,
    decode_json,
    encode_json,
    scrub_payload,
    to_money,
)

AMOUNTS = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(AMOUNTS)
def test_encoder_round_trips_every_two_place_amount_exactly(amount: Decimal) -> None:
    money = to_money(amount)
    text = encode_json({"value": money})

    assert text == '{"value":' + format(amount.quantize(Decimal("0.01")), "f") + "}"
    decoded = decode_json(text)["value"]
    assert isinstance(decoded, Decimal)
    assert decoded == amount
    assert decoded.as_tuple().exponent == -2


def test_encoder_writes_nested_structures_and_dates() -> None:
    from datetime import date

    text = encode_json(
        {
            "a": [Decimal("1.50"), 2, True, None, "ç"],
            "d": date(2026, 7, 19),
            "e": (Decimal("0.10"),),
        }
    )

    assert text == '{"a":[1.50,2,true,null,"\\u00e7"],"d":"2026-07-19","e":[0.10]}'
    assert json.loads(text)["a"][4] == "ç"


@pytest.mark.parametrize("bad", [1.5, Decimal("NaN"), Decimal("Infinity"), object(), {1: "x"}])
def test_encoder_refuses_floats_non_finite_decimals_and_unknown_types(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_json({"value": bad})


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [(Decimal("10"), "10.00"), (7, "7.00"), ("129.9", "129.90"), (Decimal("0.01"), "0.01")],
)
def test_to_money_normalises_to_two_places(given_value: object, expected: str) -> None:
    assert str(to_money(given_value)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.1, True, Decimal("1.001"), Decimal("0"), "-1", "abc"])
def test_to_money_refuses_floats_bools_extra_places_non_positive_and_garbage(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_money(bad)  # type: ignore[arg-type]


def test_scrub_payload_masks_secrets_and_personal_data_at_any_depth() -> None:
    original = {
        "id": "cus_1",
        "name": "Paciente Ficticio",
        "cpfCnpj": "12345678909",
        "email": "p@example.com",
        "mobilePhone": "47990000001",
        "phone": None,
        "address": "Rua Ficticia",
        "addressNumber": "10",
        "postalCode": "89201000",
        "apiKey": "$aact_hmlg_x",
        "accessToken": "tok",
        "access_token": "tok",
        "authToken": "webhook-secret",
        "creditCard": {"creditCardNumber": "4444", "creditCardToken": "t"},
        "creditCardHolderInfo": {"name": "X"},
        "value": Decimal("100.00"),
        "split": [{"walletId": "w-1", "fixedValue": Decimal("70.00")}],
        "webhooks": [{"url": "https://example.com/h", "authToken": "s", "email": "ops@x.test"}],
    }

    scrubbed = scrub_payload(original)

    for key in (
        "name",
        "cpfCnpj",
        "email",
        "mobilePhone",
        "address",
        "addressNumber",
        "postalCode",
        "apiKey",
        "accessToken",
        "access_token",
        "authToken",
        "creditCard",
        "creditCardHolderInfo",
    ):
        assert scrubbed[key] == "[scrubbed]", key
    assert scrubbed["phone"] is None
    assert scrubbed["id"] == "cus_1"
    assert scrubbed["value"] == Decimal("100.00")
    assert scrubbed["split"] == [{"walletId": "w-1", "fixedValue": Decimal("70.00")}]
    assert scrubbed["webhooks"][0] == {
        "url": "https://example.com/h",
        "authToken": "[scrubbed]",
        "email": "[scrubbed]",
    }
    assert original["cpfCnpj"] == "12345678909"  # a copy: the input is untouched
    assert scrubbed["split"] is not original["split"]


def test_scrub_payload_leaves_non_mappings_alone() -> None:
    assert scrub_payload([{"name": "x"}, 3, "plain"]) == [{"name": "[scrubbed]"}, 3, "plain"]
    assert scrub_payload("name") == "name"


@pytest.mark.parametrize(
    "arguments",
    [
        {"wallet_id": "w"},
        {"wallet_id": "", "fixed_value": Decimal("1.00")},
        {"wallet_id": "w", "fixed_value": Decimal("1.001")},
        {"wallet_id": "w", "percentual_value": Decimal("100.01")},
        {"wallet_id": "w", "percentual_value": Decimal("2.00001")},
        {"wallet_id": "w", "fixed_value": 1.5},
    ],
)
def test_split_rule_refuses_invalid_rules(arguments: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        SplitRule(**arguments)  # type: ignore[arg-type]


def test_split_rule_serialises_only_what_was_given() -> None:
    rule = SplitRule(wallet_id="w", percentual_value=Decimal("12.3456"))

    assert rule.to_api() == {"walletId": "w", "percentualValue": Decimal("12.3456")}
    assert encode_json(rule.to_api()) == '{"walletId":"w","percentualValue":12.3456}'
