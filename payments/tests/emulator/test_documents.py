from __future__ import annotations

import pytest

from payments.emulator.documents import (
    is_valid_cnpj,
    is_valid_cpf,
    is_valid_cpf_cnpj,
    is_valid_mobile_phone,
    person_type,
)


@pytest.mark.parametrize("cpf", ["24971563792", "249.715.637-92", "52998224725"])
def test_valid_cpfs(cpf: str) -> None:
    assert is_valid_cpf(cpf)
    assert is_valid_cpf_cnpj(cpf)


@pytest.mark.parametrize("cpf", ["11111111111", "24971563793", "2497156379", "abc"])
def test_invalid_cpfs(cpf: str) -> None:
    assert not is_valid_cpf(cpf)


def test_cnpj_check_digits() -> None:
    assert is_valid_cnpj("11.222.333/0001-81")
    assert not is_valid_cnpj("11222333000182")
    assert not is_valid_cnpj("00000000000000")
    assert person_type("11222333000181") == "JURIDICA"
    assert person_type("24971563792") == "FISICA"


def test_mobile_phone_rejects_repeated_digits() -> None:
    assert is_valid_mobile_phone("47996321478")
    assert not is_valid_mobile_phone("47999999999")
    assert not is_valid_mobile_phone("123")
