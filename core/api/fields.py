"""Serializer fields whose OpenAPI schema says exactly what the server accepts.

* Strings are strings: ``StrictModelSerializer`` builds every text field so that a JSON number
  or boolean is refused (DRF's ``CharField`` would turn ``123`` into ``"123"``).
* ``ContractDecimalField``: a decimal written as a string must match the pattern the schema
  declares (at least one digit, no sign when negatives are refused, 0–100 for percentages);
  written as a JSON number it follows the declared minimum, maximum and ``multipleOf``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from .compiled import CompiledReadMixin

_M = TypeVar("_M", bound=models.Model)

#: A text DRF accepts once trimmed (``str.strip`` whitespace, which includes \x1c-\x1f and
#: \x85 besides what a regex calls ``\s``) and PostgreSQL can hold (no NUL): the pattern the
#: schema declares for required text.
NOT_BLANK_NO_NUL = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"


def not_blank_no_nul() -> Any:
    from django.core.validators import RegexValidator

    return RegexValidator(NOT_BLANK_NO_NUL)


class StrictStringMixin:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


_STRICT_CLASSES: dict[type, type] = {}


def strict_string_class(field_class: type[serializers.CharField]) -> type[serializers.CharField]:
    """``field_class`` refusing non-strings (one class per original, created once)."""
    if field_class not in _STRICT_CLASSES:
        name = f"Strict{field_class.__name__}"
        _STRICT_CLASSES[field_class] = type(name, (StrictStringMixin, field_class), {})
    strict: type[serializers.CharField] = _STRICT_CLASSES[field_class]
    return strict


class ContractDecimalField(serializers.DecimalField):
    def schema_pattern(self) -> str:
        """The written forms accepted: digits (no leading zeros past the first), an optional
        fraction; no sign unless negatives are allowed; no zero when the minimum is positive;
        no more whole digits than the maximum has."""
        places = int(self.decimal_places or 0)
        whole = int(self.max_whole_digits or 1)
        if self.max_value is not None:
            whole = min(whole, len(str(int(self.max_value))))
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        minimum = self.min_value
        if self.max_value == Decimal(100) and minimum is not None and minimum >= 0:
            zeros = rf"(?:\.0{{1,{places}}})?" if places else ""
            return rf"^(?:100{zeros}|(?:0|[1-9]\d?){fraction})$"
        if minimum is not None and minimum > 0 and places == 2:
            return rf"^(?:[1-9]\d{{0,{whole - 1}}}{fraction}|0?\.(?:0[1-9]|[1-9]\d?))$"
        sign = "-?" if minimum is None or minimum < 0 else ""
        return rf"^{sign}(?:0|[1-9]\d{{0,{whole - 1}}}){fraction}$"

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DRF reads "" (or blanks) as null; the schema says a decimal has digits. (An empty
        # form field never gets here: DRF turns it into null first, as the form schema says.)
        if isinstance(data, str) and data.strip() == "":
            self.fail("invalid")
        result: tuple[bool, Any] = super().validate_empty_values(data)
        return result

    def number_schema(self) -> dict[str, Any]:
        """The same values written as a JSON number."""
        schema: dict[str, Any] = {"type": "number"}
        if self.decimal_places:
            schema["multipleOf"] = float(Decimal(1).scaleb(-int(self.decimal_places)))
        if self.min_value is not None:
            schema["minimum"] = float(self.min_value)
        if self.max_value is not None:
            schema["maximum"] = float(self.max_value)
        elif self.max_whole_digits is not None:
            schema["exclusiveMaximum"] = True
            schema["maximum"] = float(10**self.max_whole_digits)
        return schema

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not re.fullmatch(self.schema_pattern(), data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ContractDecimalFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = ContractDecimalField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: ContractDecimalField = self.target
        schema: dict[str, Any] = {
            "type": "string",
            "format": "decimal",
            "pattern": field.schema_pattern(),
        }
        if direction == "request":  # a JSON number is accepted too
            return {"anyOf": [schema, field.number_schema()]}
        return schema


class StrictModelSerializer(CompiledReadMixin, serializers.ModelSerializer[_M]):
    """Text fields refuse non-strings; decimal fields follow ``ContractDecimalField``; the
    representation is compiled once per class (``core.api.compiled``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: ContractDecimalField,
    }

    def build_standard_field(
        self, field_name: str, model_field: Any
    ) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(field_class, type) and issubclass(field_class, serializers.CharField):
            field_class = strict_string_class(field_class)
        return field_class, kwargs


def declare_shapes(fields: dict[str, Any], shapes: dict[str, str], message: Any) -> None:
    """Give each field its shape as a validator: the schema shows it as ``pattern``."""
    from django.core.validators import RegexValidator

    for name, shape in shapes.items():
        field = fields.get(name)
        if field is not None and not field.read_only:
            kept = [v for v in field.validators if not isinstance(v, RegexValidator)]
            field.validators = [*kept, RegexValidator(shape, message)]


def shaped_digits(data: Any, shapes: dict[str, str], message: Any) -> Any:
    """Documents written in one of their declared shapes become digits; any other string is
    a 400 on that field (so the server accepts exactly what the schema declares)."""
    if not isinstance(data, dict):
        return data
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for name, shape in shapes.items():
        value = data.get(name)
        if isinstance(value, str) and value != "":
            if re.fullmatch(shape, value):
                cleaned[name] = re.sub(r"\D", "", value)
            else:
                errors[name] = [str(message)]
    if errors:
        raise serializers.ValidationError(errors)
    return cleaned
