"""JSON encoding/decoding without floats, money coercion and payload scrubbing.

Money never passes through ``float``: responses are decoded with ``parse_float=Decimal`` and
request bodies are written by :func:`encode_json`, which emits a ``Decimal`` as the plain digits
of its value (``Decimal("129.90")`` → ``129.90``) and refuses floats outright.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
PERCENT_STEP = Decimal("0.0001")
SCRUBBED = "[scrubbed]"

# Compared after lower-casing and dropping "_" so that ``access_token``, ``accessToken`` and
# ``ACCESS_TOKEN`` all match.
_SENSITIVE_KEYS = frozenset(
    {
        "accesstoken",
        "additionalemails",
        "apikey",
        "authtoken",
        "birthdate",
        "cnpj",
        "companyname",
        "complement",
        "cpf",
        "cpfcnpj",
        "email",
        "incomevalue",
        "loginemail",
        "mobilephone",
        "name",
        "phone",
        "postalcode",
        "province",
        "remoteip",
        "tradingname",
    }
)
_SENSITIVE_PREFIXES = ("address", "creditcard")


def decode_json(raw: bytes | str) -> Any:
    """Parse a JSON document, turning every non-integer number into ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def encode_json(obj: Any) -> str:
    """Serialise ``obj`` to compact ASCII JSON; ``Decimal`` becomes a JSON number, exactly.

    Supports dict (string keys), list/tuple, str, bool, int, None, ``Decimal`` and ``date``
    (ISO string). ``float`` raises ``TypeError``: money must be a ``Decimal``.
    """
    if obj is None or isinstance(obj, (bool, int, str)):
        return json.dumps(obj)
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"cannot encode non-finite Decimal {obj!r}")
        return format(obj, "f")
    if isinstance(obj, float):
        raise TypeError("floats are not accepted in Asaas payloads; use Decimal")
    if isinstance(obj, (date, datetime)):
        return json.dumps(obj.isoformat())
    if isinstance(obj, Mapping):
        items = []
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, got {type(key).__name__}")
            items.append(f"{json.dumps(key)}:{encode_json(value)}")
        return "{" + ",".join(items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(encode_json(item) for item in obj) + "]"
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def _as_decimal(value: Decimal | int | str, field: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise TypeError(f"{field} must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{field} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{field} must be finite")
    return result


def to_money(value: Decimal | int | str, field: str = "value") -> Decimal:
    """Return ``value`` as a positive ``Decimal`` with exactly two places.

    Raises ``ValueError`` instead of rounding when ``value`` has more than two places.
    """
    amount = _as_decimal(value, field)
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise ValueError(f"{field} has more than 2 decimal places: {amount}")
    if quantized <= 0:
        raise ValueError(f"{field} must be greater than zero")
    return quantized


def to_percent(value: Decimal | int | str, field: str = "percentualValue") -> Decimal:
    """Return ``value`` as a ``Decimal`` in (0, 100] with at most four places."""
    percent = _as_decimal(value, field)
    if percent.quantize(PERCENT_STEP) != percent:
        raise ValueError(f"{field} has more than 4 decimal places: {percent}")
    if not Decimal(0) < percent <= Decimal(100):
        raise ValueError(f"{field} must be in (0, 100]: {percent}")
    return percent


def _is_sensitive(key: str) -> bool:
    normalized = key.replace("_", "").lower()
    return normalized in _SENSITIVE_KEYS or normalized.startswith(_SENSITIVE_PREFIXES)


def _scrub_entry(key: Any, value: Any) -> Any:
    if isinstance(key, str) and _is_sensitive(key):
        return None if value is None else SCRUBBED
    return scrub_payload(value)


def scrub_payload(obj: Any) -> Any:
    """Return a deep copy of ``obj`` with secrets and personal data masked.

    Values under sensitive keys (API keys, tokens, CPF/CNPJ, names, e-mails, phones, address
    fields, card data...) are replaced by ``"[scrubbed]"``; ``None`` stays ``None`` so that
    "absent" remains visible. Everything else (ids, amounts, dates, statuses) is kept, so the
    result can be stored as an audit record of a request or response.
    """
    if isinstance(obj, Mapping):
        return {key: _scrub_entry(key, value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_payload(item) for item in obj]
    return copy.deepcopy(obj)


def to_jsonable(obj: Any) -> Any:
    """Return ``obj`` with ``Decimal`` as exact strings and dates as ISO strings.

    Meant for storing scrubbed payloads in a JSON column whose encoder knows no ``Decimal``.
    """
    if isinstance(obj, Mapping):
        return {str(key): to_jsonable(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(item) for item in obj]
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    return obj
