"""Money in the admin's edit forms: shown and typed the pt-BR way (``1.234,56``), saved as a
``Decimal`` with two places; what is not an amount is a form error, never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.formatting import format_brl_number, parse_brl
from core.forms import BRLMoneyField
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from core.tests.test_admin import initial_form_data
from professionals.models import Professional


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("R$ 1.234,56", "1234.56"),
        ("R$\xa01.234.567,8", "1234567.8"),
        ("1.234", "1234"),
        ("1234.56", "1234.56"),
        ("150", "150"),
        ("0,5", "0.5"),
        ("-10,00", "-10.00"),
        (" 99,90 ", "99.90"),
    ],
)
def test_parse_brl_reads_what_an_operator_types(typed: str, amount: str) -> None:
    assert parse_brl(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed", ["", "abc", "1,2,3", "12.34,5.6", "1.23,45", ",50", "1e3", "NaN", "١٢٣", "12,3a"]
)
def test_parse_brl_refuses_anything_else(typed: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_brl(typed)


def test_format_brl_number() -> None:
    assert format_brl_number(Decimal("1234.5")) == "1.234,50"
    assert format_brl_number(Decimal("1234567.891")) == "1.234.567,89"
    assert format_brl_number(None) == ""


def test_money_field_errors_and_places() -> None:
    field = BRLMoneyField(max_digits=12, decimal_places=2)

    assert field.clean("1.234,56") == Decimal("1234.56")
    with pytest.raises(Exception, match=r"Informe um valor em reais, como 1\.234,56\."):
        field.clean("doze reais")
    with pytest.raises(Exception, match="2 casas decimais"):
        field.clean("1,234")


@pytest.mark.django_db
def test_professional_change_form_shows_and_accepts_the_brazilian_format(
    admin_client: Client,
) -> None:
    professional = ProfessionalFactory.create(income_value=Decimal("1234.56"))
    url = reverse("admin:professionals_professional_change", args=[professional.pk])

    page = admin_client.get(url)
    data = initial_form_data(admin_client, url)
    saved = admin_client.post(url, {**data, "income_value": "12.345,67"})

    html = page.content.decode()
    assert 'name="income_value" value="1.234,56"' in html
    assert 'inputmode="decimal"' in html
    assert data["income_value"] == "1.234,56"
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    professional.refresh_from_db()
    assert professional.income_value == Decimal("12345.67")


@pytest.mark.django_db
def test_professional_add_saves_the_decimal(admin_client: Client) -> None:
    url = reverse("admin:professionals_professional_add")
    data = {
        **initial_form_data(admin_client, url),
        "preferred_name": "Dra. Júlia Prado",
        "profession": "Psicóloga",
        "address": "Rua A, 1 - São Paulo, SP",
        "contact": "julia@example.com",
        "income_value": "1.234,56",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Professional.objects.get(preferred_name="Dra. Júlia Prado")
    assert saved.income_value == Decimal("1234.56")
    assert saved.income_value.as_tuple().exponent == -2


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["doze reais", "1,2,3", "1.234,567", "9" * 20])
def test_bad_money_input_is_a_form_error(admin_client: Client, typed: str) -> None:
    professional = ProfessionalFactory.create(income_value=Decimal("10.00"))
    url = reverse("admin:professionals_professional_change", args=[professional.pk])

    data = {**initial_form_data(admin_client, url), "income_value": typed}
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["income_value"]
    professional.refresh_from_db()
    assert professional.income_value == Decimal("10.00")


@pytest.mark.django_db
def test_appointment_change_form_shows_the_amount_in_the_brazilian_format(
    admin_client: Client,
) -> None:
    appointment = AppointmentFactory.create(total_amount=Decimal("1234.56"))

    page = admin_client.get(reverse("admin:appointments_appointment_change", args=[appointment.pk]))

    assert page.status_code == 200
    assert 'name="total_amount" value="1.234,56"' in page.content.decode()
