"""Form fields shared by the admin: money typed and shown the pt-BR way (``1.234,56``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.formatting import format_brl_number, parse_brl


class BRLMoneyInput(forms.TextInput):
    """A text input (a number input would refuse the comma) showing ``1.234,56``."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "placeholder": "0,00", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal | int | float):
            return format_brl_number(Decimal(str(value)))
        return super().format_value(value)


class BRLMoneyField(forms.DecimalField):
    """A money ``DecimalField`` that reads ``1.234,56`` (see ``parse_brl``) and keeps the model
    field's digits and two places; anything else is a form error, never a 500."""

    widget = BRLMoneyInput
    default_error_messages = {"invalid": _("Informe um valor em reais, como 1.234,56.")}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            amount = parse_brl(str(value))
        except (ValueError, ArithmeticError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not amount.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return amount

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int | float):
            return format_brl_number(Decimal(str(value)))
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # DecimalField adds step/min/max for number inputs only; keep none of them.
        return forms.Field.widget_attrs(self, widget)
