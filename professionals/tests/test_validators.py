"""The contact validator on its own: an e-mail or a Brazilian phone somewhere in free text."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from professionals.validators import (
    contact_has_valid_email,
    contact_has_valid_phone,
    validate_contact,
)


@pytest.mark.parametrize(
    "text",
    [
        "ana.silva@email.com",
        "e-mail: ana@clinica.com.br; tel. ?",
        "<ana@email.com>",
        "ana@email.com.",
    ],
)
def test_finds_an_email(text: str) -> None:
    assert contact_has_valid_email(text)


@pytest.mark.parametrize("text", ["foo@", "@bar", "ana@email", "ana@@email.com", "sem contato"])
def test_rejects_non_emails(text: str) -> None:
    assert not contact_has_valid_email(text)


@pytest.mark.parametrize(
    "text",
    ["(11) 98765-4321", "11 3456-7890", "+55 21 99876-5432", "021 2345-6789", "Tel: 1134567890"],
)
def test_finds_a_brazilian_phone(text: str) -> None:
    assert contact_has_valid_phone(text)


@pytest.mark.parametrize("text", ["12345", "98765-4321", "+1 212 555 0100", "(00) 1234-5678"])
def test_rejects_non_brazilian_or_incomplete_phones(text: str) -> None:
    assert not contact_has_valid_phone(text)


def test_validate_contact_message_is_portuguese() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_contact("nada aqui")

    assert caught.value.code == "invalid_contact"
    assert "telefone brasileiro" in caught.value.messages[0]


def test_validate_contact_accepts_the_readme_example() -> None:
    validate_contact("ana.silva@email.com / (11) 98765-4321")
