"""Brazilian taxpayer document checks (CPF: 11 digits, CNPJ: 14 digits, mod-11 check digits)."""

from __future__ import annotations


def only_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _cpf_digit(digits: str) -> int:
    weight = len(digits) + 1
    total = sum(int(d) * (weight - i) for i, d in enumerate(digits))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def is_valid_cpf(value: str) -> bool:
    digits = only_digits(value)
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    first = _cpf_digit(digits[:9])
    second = _cpf_digit(digits[:9] + str(first))
    return digits[9:] == f"{first}{second}"


def _cnpj_digit(digits: str) -> int:
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(digits) :]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def is_valid_cnpj(value: str) -> bool:
    digits = only_digits(value)
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    first = _cnpj_digit(digits[:12])
    second = _cnpj_digit(digits[:12] + str(first))
    return digits[12:] == f"{first}{second}"


def is_valid_cpf_cnpj(value: str) -> bool:
    digits = only_digits(value)
    if len(digits) == 11:
        return is_valid_cpf(digits)
    if len(digits) == 14:
        return is_valid_cnpj(digits)
    return False


def person_type(value: str) -> str:
    """Asaas personType for a document: FISICA (CPF) or JURIDICA (CNPJ)."""
    return "JURIDICA" if len(only_digits(value)) == 14 else "FISICA"


def is_valid_mobile_phone(value: str) -> bool:
    """Brazilian mobile: 10-11 digits (DDD + number) and not one repeated digit."""
    digits = only_digits(value)
    if len(digits) not in (10, 11):
        return False
    number = digits[2:]
    return number != number[0] * len(number)
