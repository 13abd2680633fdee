"""Brazilian documents (CPF/CNPJ): normalisation and validation with validate-docbr."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from validate_docbr import CNPJ, CPF

_NON_DIGITS = re.compile(r"\D")
_cpf = CPF()
_cnpj = CNPJ()


def only_digits(value: str) -> str:
    return _NON_DIGITS.sub("", value or "")


def is_valid_cpf(value: str) -> bool:
    digits = only_digits(value)
    return len(digits) == 11 and bool(_cpf.validate(digits))


def is_valid_cnpj(value: str) -> bool:
    digits = only_digits(value)
    return len(digits) == 14 and bool(_cnpj.validate(digits))


def validate_cpf(value: str) -> None:
    if not is_valid_cpf(value):
        raise ValidationError(_("CPF inválido."), code="invalid_cpf")


def validate_cpf_cnpj(value: str) -> None:
    if not value:
        return
    if not (is_valid_cpf(value) or is_valid_cnpj(value)):
        raise ValidationError(_("CPF/CNPJ inválido."), code="invalid_cpf_cnpj")


def mask_cpf(value: str) -> str:
    """``12345678909`` → ``***.456.789-**``: enough to recognise, not to reuse."""
    digits = only_digits(value)
    if len(digits) != 11:
        return "***"
    return f"***.{digits[3:6]}.{digits[6:9]}-**"


def mask_document(value: str) -> str:
    """A CPF masked as by ``mask_cpf``; a CNPJ keeps only its branch and check digits."""
    digits = only_digits(value)
    if len(digits) == 14:
        return f"**.***.***/{digits[8:12]}-{digits[12:]}"
    return mask_cpf(digits)


def mask_given_document(value: str | None) -> str | None:
    """``mask_document`` of a document given; an empty one (or none) as it is."""
    return mask_document(value) if value else value


#: Written forms accepted by the API (with or without punctuation); the schema declares them.
CPF_SHAPE = r"^(?:\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$"
CPF_CNPJ_SHAPE = r"^(?:\d{11}|\d{14}|\d{3}\.\d{3}\.\d{3}-\d{2}|\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2})$"
POSTAL_CODE_SHAPE = r"^(?:\d{8}|\d{5}-\d{3})$"
