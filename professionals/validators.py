"""Validation of the free-text ``contact`` field.

The contact is free text such as ``"ana.silva@email.com / (11) 98765-4321"``; it is accepted
when it holds at least one valid e-mail address or one valid Brazilian phone number.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

_EMAIL_CANDIDATE = re.compile(r"[^\s/;,<>()\[\]]+@[^\s/;,<>()\[\]]+")


def contact_has_valid_email(text: str) -> bool:
    for candidate in _EMAIL_CANDIDATE.findall(text):
        try:
            validate_email(candidate.rstrip("."))
        except ValidationError:
            continue
        return True
    return False


def contact_has_valid_phone(text: str) -> bool:
    matcher = phonenumbers.PhoneNumberMatcher(text, "BR", leniency=phonenumbers.Leniency.VALID)
    return any(match.number.country_code == 55 for match in matcher)


def validate_contact(value: str) -> None:
    if contact_has_valid_email(value) or contact_has_valid_phone(value):
        return
    raise ValidationError(
        _("Informe um e-mail válido ou um telefone brasileiro válido (com DDD)."),
        code="invalid_contact",
    )
