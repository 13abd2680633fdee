"""Serializers that do not rebuild their fields for every response.

A DRF ``ModelSerializer`` builds its fields (model introspection, deep copies of the declared
fields, translated error messages) every time it is instantiated — on a read, once per
request, for a representation that never changes with the request. ``CompiledReadMixin``
turns a class's readable fields, once per class, into a list of small functions (attribute,
conversion) and writes the representation with them; input (validation, ``self.fields``) is
untouched and still built per instance, with the request's context.

Only fields whose output cannot depend on the request are compiled: text, numbers, booleans,
choices, decimals, dates and date-times, primary-key relations and nested compiled
serializers, lists of plain serializers made of such fields, and method fields declared to
read only the instance (``INSTANCE_METHODS``). A class with any other readable field (another
``SerializerMethodField``, a hyperlink) keeps DRF's ``to_representation``.
Overrides of ``to_representation`` in the classes run as before around it (the class is then
not written by its plan directly); a document masked in lists is declared instead
(``MASKS``, ``LIST_MASKS``) and written by the plan. ``core/tests/test_body_parity.py`` holds
the parity.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import keyword
import weakref
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, cast

import orjson
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import get_attribute as drf_get_attribute
from rest_framework.fields import is_simple_callable
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.settings import api_settings

Emit = Callable[[Any], Any]
#: One output field: (its name, the model column to read with ``getattr`` or None, else the
#: function of the instance giving the value, the conversion of a value that is not None
#: or None to emit it as it is).
Step = tuple[str, str | None, Emit | None, Emit | None]
Plan = list[Step]


def _plain_getter(attr: str) -> Callable[[Any], Any]:
    def get(instance: Any) -> Any:
        value = getattr(instance, attr)
        if callable(value) and is_simple_callable(value):  # a method as the source, as DRF
            value = value()
        return value

    return get


#: The zone datetimes are shown in, read once per object represented (``to_representation``)
#: rather than once per value: ``timezone.get_current_timezone()`` is a context-local lookup.
_zone: contextvars.ContextVar[dt.tzinfo | None] = contextvars.ContextVar(
    "compiled_read_zone", default=None
)


def _current_zone() -> dt.tzinfo:
    return _zone.get() or timezone.get_current_timezone()


@contextlib.contextmanager
def zone_fixed() -> Iterator[None]:
    """The current zone read once for everything represented inside (a page of rows):
    ``timezone.get_current_timezone()`` costs as much as a whole row's numbers."""
    if _zone.get() is not None:
        yield
        return
    token = _zone.set(timezone.get_current_timezone())
    try:
        yield
    finally:
        _zone.reset(token)


#: The datetimes written by orjson instead of ``isoformat``: aware through a tzinfo that always
#: has an offset, shown in a zone of the tz database (or a fixed offset in whole minutes), and
#: from a year since which no zone of the tz database has an offset with seconds (the last,
#: Liberia's -0:44:30, ended in January 1972) — orjson would cut one to the minute; far from
#: year 9999, where the conversion to the zone overflows.
_ALWAYS_AWARE = frozenset({dt.timezone, zoneinfo.ZoneInfo})
_ORJSON_YEARS = (1973, 9998)


def _in_minutes(zone: dt.tzinfo) -> bool:
    if zone.__class__ is zoneinfo.ZoneInfo:
        return True
    offset = zone.utcoffset(None) if zone.__class__ is dt.timezone else None
    return offset is not None and not offset % dt.timedelta(minutes=1)


def _orjson_writes(value: Any, zone: dt.tzinfo) -> bool:
    """Whether orjson writes ``value`` in ``zone`` as ``isoformat`` does (see above)."""
    return (
        value.__class__ is dt.datetime
        and value.tzinfo.__class__ in _ALWAYS_AWARE
        and _ORJSON_YEARS[0] <= value.year <= _ORJSON_YEARS[1]
        and _in_minutes(zone)
    )


def datetime_iso(field: serializers.DateTimeField, *, native: bool = False) -> Emit | None:
    """DRF's ``DateTimeField.to_representation`` in ISO 8601 (None for another format or a
    zone of the field's own), cheaper. ``native``: a value orjson writes as DRF would is
    returned as the datetime in the current zone, for ``FastJSONRenderer.render_native`` to
    write (in C, with the text below); any other is returned as text."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not isinstance(output_format, str) or output_format.lower() != "iso-8601":
        return None
    if getattr(field, "timezone", None) is not None:
        return None  # a field-specific zone: keep DRF's code

    def emit(value: Any) -> Any:
        zone = _current_zone()
        if _orjson_writes(value, zone):
            # ``isoformat`` in C: orjson writes the same text (offsets to the minute, the
            # microseconds only when not zero), a third of the cost.
            text = orjson.dumps(value.astimezone(zone))[1:-1].decode()
        elif isinstance(value, str) or timezone.is_naive(value):
            return field.to_representation(value)
        else:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)  # DRF's "overflow" failure
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    if not native:
        return emit

    def emit_native(value: Any) -> Any:
        zone = _current_zone()
        if _orjson_writes(value, zone):
            return value.astimezone(zone)
        return emit(value)

    _NATIVE_DATETIMES.add(emit_native)
    return emit_native


#: The ``emit_native`` functions of ``datetime_iso``: ``representer_of`` writes their test of
#: ``_orjson_writes`` inline, with the zone read once per instance (see ``_step_source``).
#: Weak: a function no plan holds any more is not kept for it.
_NATIVE_DATETIMES: weakref.WeakSet[Emit] = weakref.WeakSet()


#: Distinct values remembered per decimal field (money repeats: 150.00, 22.50, 0.00...).
DECIMAL_MEMO_SIZE = 4096


def _decimal_memo(field: serializers.DecimalField) -> Emit:
    """DRF's ``DecimalField.to_representation`` (a context copy and a ``quantize`` a value,
    six times a plain format) remembered per value. Equal ``Decimal`` values quantize to the
    same output whatever their exponent (``150.0`` and ``150.00``); a zero is remembered with
    its sign (``-0.00`` equals ``0.00`` but keeps it); nothing but a ``Decimal`` is (a float
    equal to a ``Decimal`` is converted through ``str`` by DRF, to another value)."""
    represent = field.to_representation
    memo: dict[Any, Any] = {}

    def emit(value: Any) -> Any:
        if type(value) is not decimal.Decimal or not value.is_finite():
            return represent(value)
        key = value if value else ("zero", value.is_signed())
        try:
            return memo[key]
        except KeyError:
            text = represent(value)
            if len(memo) < DECIMAL_MEMO_SIZE:
                memo[key] = text
            return text

    return emit


#: ``to_representation`` methods that read only the field's own settings (not the context).
_SELF_CONTAINED = {
    serializers.BooleanField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BigIntegerField.to_representation,  # type: ignore[attr-defined]
    serializers.FloatField.to_representation,
    serializers.DecimalField.to_representation,
    serializers.DateField.to_representation,
    serializers.TimeField.to_representation,
    serializers.ChoiceField.to_representation,
    serializers.UUIDField.to_representation,
}


def _converter(field: serializers.Field[Any, Any, Any, Any], native: bool) -> Emit | None:
    """How ``field`` turns a non-None attribute into output; None if it cannot be compiled
    (``native``: see ``datetime_iso``)."""
    method = type(field).to_representation
    if method is serializers.CharField.to_representation:
        return str
    if method is serializers.DateTimeField.to_representation:
        return datetime_iso(field, native=native) or field.to_representation  # type: ignore[arg-type]
    if method is serializers.DecimalField.to_representation and not getattr(
        field, "localize", True
    ):
        return _decimal_memo(field)  # type: ignore[arg-type]
    if method in _SELF_CONTAINED:
        return field.to_representation
    return None


def _model_columns(field: Any) -> frozenset[str]:
    """Attribute names of the serializer's model columns: read with a bare ``getattr`` (a
    value loaded from a column is never a callable, so DRF's method-source rule is moot)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    meta = getattr(model, "_meta", None)
    if meta is None:
        return frozenset()
    fields = meta.concrete_fields
    # A relation by its column (``professional_id``), never by its name (the related object).
    return frozenset(field.attname for field in fields) | frozenset(
        field.name for field in fields if not field.is_relation
    )


def _compile_field(field: Any, native: bool) -> Step | None:
    if isinstance(field, serializers.SerializerMethodField):
        declared: frozenset[str] = getattr(type(field.parent), "INSTANCE_METHODS", frozenset())
        name: str = field.field_name or ""
        if name not in declared:
            return None  # it may read the request's context
        # Its method, bound to the class's prototype (context empty), of the instance.
        return (name, None, getattr(field.parent, field.method_name), None)
    if field.source == "*" or not field.source_attrs:
        return None
    attrs = list(field.source_attrs)
    name = field.field_name
    columns = _model_columns(field)
    get = _plain_getter(attrs[0]) if len(attrs) == 1 else (lambda i: drf_get_attribute(i, attrs))
    column = attrs[0] if len(attrs) == 1 and attrs[0] in columns else None
    if isinstance(field, PrimaryKeyRelatedField):
        if field.pk_field is not None or len(attrs) != 1 or not field.use_pk_only_optimization():
            return None
        # None stays None; a pk is emitted as it is (PKOnlyObject.pk)
        key = f"{attrs[0]}_id"
        return (name, key, None, None) if key in columns else (name, None, _plain_getter(key), None)
    if isinstance(field, CompiledReadMixin):
        if type(field).to_representation is not CompiledReadMixin.to_representation:
            return None  # an override may read the request's context: not compiled
        if type(field).masks_of(listing=True):
            return None  # its masks may depend on the view: DRF's path writes it
        nested = type(field).compiled_representer(native=native)
        if nested is None:
            return None
        return (name, column, None if column else get, nested)
    convert = _converter(field, native) or _list_converter(field)
    if convert is None:
        return None
    return (name, column, None if column else get, convert)


def _list_converter(field: Any) -> Emit | None:
    """A ``many=True`` field of a plain serializer (a rule's breaks, items of a JSON list):
    DRF's own list representation, bound to the class's prototype (its fields built once),
    when every field of the item compiles — none can read the request's context."""
    if type(field).to_representation is not serializers.ListSerializer.to_representation:
        return None
    child = field.child
    if isinstance(child, CompiledReadMixin) or (
        type(child).to_representation is not serializers.Serializer.to_representation
    ):
        return None
    if any(_compile_field(item, False) is None for item in child._readable_fields):
        return None
    represent: Emit = field.to_representation
    return represent


#: ``to_representation`` of these is ``int(value)``: an ``int`` (not a ``bool``) is itself.
_INT_OUTPUT = frozenset(
    {
        serializers.IntegerField.to_representation,
        serializers.BigIntegerField.to_representation,  # type: ignore[attr-defined]
    }
)
Representer = Callable[[Any], dict[str, Any]]


def _choice_map(convert: Emit) -> dict[str, Any] | None:
    """The choices' map of a ``ChoiceField``'s own ``to_representation``, else None."""
    if getattr(convert, "__func__", None) is not serializers.ChoiceField.to_representation:
        return None
    mapping: dict[str, Any] = convert.__self__.choice_strings_to_values  # type: ignore[attr-defined]
    return mapping


def _date_iso(convert: Emit) -> bool:
    """Whether ``convert`` is a ``DateField``'s own ``to_representation`` writing ISO 8601."""
    if getattr(convert, "__func__", None) is not serializers.DateField.to_representation:
        return False
    output_format = getattr(convert.__self__, "format", api_settings.DATE_FORMAT)  # type: ignore[attr-defined]
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _step_source(index: int, step: Step) -> tuple[str, str, dict[str, Any]]:
    """The statement reading step ``index``'s value into ``v<index>``, the expression of its
    output and what that expression names besides ``g<index>`` and ``c<index>`` (the step's
    functions) in the namespace."""
    _name, column, _get, convert = step
    value = f"v{index}"
    if column is not None and column.isidentifier() and not keyword.iskeyword(column):
        read = f"{value} = i.{column}"
    elif column is not None:
        read = f"{value} = getattr(i, {column!r})"
    else:
        read = f"{value} = g{index}(i)"
    if convert is None:
        return read, value, {}
    if convert is str:  # ``str`` of a ``str`` is itself
        return read, f"{value} if {value}.__class__ is str or {value} is None else str({value})", {}
    if getattr(convert, "__func__", None) in _INT_OUTPUT:
        return (
            read,
            f"{value} if {value}.__class__ is int or {value} is None else c{index}({value})",
            {},
        )
    called = f"c{index}({value})"
    mapping = _choice_map(convert)
    if mapping is not None:
        # DRF: ``choice_strings_to_values.get(str(value), value)`` but for "" (itself).
        mapped = f"m{index}.get({value}, {value})"
        called = f"({mapped} if {value}.__class__ is str and {value} else {called})"
        return read, f"None if {value} is None else {called}", {f"m{index}": mapping}
    if convert in _NATIVE_DATETIMES:
        # ``emit_native`` inline: ``_orjson_writes`` with the zone of the instance (``z``, and
        # ``zm``: whether it is in whole minutes), the call only for the other values.
        writes = (
            f"{value}.__class__ is _datetime and {value}.tzinfo.__class__ in _aware "
            f"and {_ORJSON_YEARS[0]} <= {value}.year <= {_ORJSON_YEARS[1]} and zm"
        )
        called = f"({value}.astimezone(z) if {writes} else {called})"
        names = {"_datetime": dt.datetime, "_aware": _ALWAYS_AWARE}
        return read, f"None if {value} is None else {called}", names
    if _date_iso(convert):
        # DRF: ``value.isoformat()`` of a date (not a string, not a datetime) in ISO 8601.
        called = f"({value}.isoformat() if {value}.__class__ is _date else {called})"
        return read, f"None if {value} is None else {called}", {"_date": dt.date}
    return read, f"None if {value} is None else {called}", {}


def representer_of(plan: Plan, masks: dict[str, Emit] | None = None) -> Representer:
    """The representation of an instance by ``plan``, as one function written for it: each
    field's read and conversion inlined, in the plan's order (a ``for`` over the steps,
    unpacking each and testing its kinds, cost a sixth of a page of appointments' output).
    The same values as applying each step: ``value if value is None or convert is None else
    convert(value)``, with ``str`` and ``int`` values that the conversion would return as
    they are emitted without the call, and native datetimes (``datetime_iso``) tested inline
    with the zone read once per instance; then ``masks`` (output name -> function) applied to
    the values they name."""
    masks = masks or {}
    namespace: dict[str, Any] = {}
    lines = ["def represent(i):"]
    if any(step[3] in _NATIVE_DATETIMES for step in plan):
        namespace.update(_current_zone=_current_zone, _in_minutes=_in_minutes)
        lines += ["    z = _current_zone()", "    zm = _in_minutes(z)"]
    items = []
    for index, step in enumerate(plan):
        namespace[f"g{index}"], namespace[f"c{index}"] = step[2], step[3]
        read, output, names = _step_source(index, step)
        namespace.update(names)
        if step[0] in masks:
            namespace[f"k{index}"] = masks[step[0]]
            output = f"k{index}({output})"
        lines.append(f"    {read}")
        items.append(f"{step[0]!r}: {output}")
    lines.append(f"    return {{{', '.join(items)}}}")
    # The source is built from the serializer's field names (``repr``), attribute names
    # (identifiers, else ``repr``) and numbered locals: no outside text reaches it.
    exec(compile("\n".join(lines), f"<representer of {len(plan)} fields>", "exec"), namespace)  # noqa: S102
    represent: Representer = namespace["represent"]
    return represent


def _listing(serializer: Any) -> bool:
    """Whether ``serializer`` writes a list's rows: its context's view lists."""
    return getattr(serializer.context.get("view"), "action", None) == "list"


class CompiledReadMixin:
    """Mix into a ``ModelSerializer``: the representation is written by a per-class plan."""

    #: Values rewritten after the representation (a document masked): output field name ->
    #: function of the value written. ``MASKS`` always apply; ``LIST_MASKS`` only when the
    #: context's view lists (its action is ``"list"``), as in the list of professionals.
    MASKS: ClassVar[dict[str, Emit]] = {}
    LIST_MASKS: ClassVar[dict[str, Emit]] = {}
    #: ``SerializerMethodField``\ s whose method reads only the instance, never the context
    #: (the request): compiled as a call of the method on the class's prototype.
    INSTANCE_METHODS: ClassVar[frozenset[str]] = frozenset()

    _compiled: dict[tuple[type, bool], Plan | None] = {}
    _representers: dict[tuple[type, bool, bool], Representer | None] = {}

    @classmethod
    def masks_of(cls, *, listing: bool) -> dict[str, Emit]:
        return {**cls.MASKS, **cls.LIST_MASKS} if listing else dict(cls.MASKS)

    @classmethod
    def compiled_plan(cls, *, native: bool = False) -> Plan | None:
        """The class's plan (``native``: datetimes left for ``render_native``), built once."""
        key = (cls, native)
        if key not in CompiledReadMixin._compiled:
            prototype: Any = cast(Any, cls)(context={})
            plan: Plan | None = []
            for field in prototype._readable_fields:
                step = _compile_field(field, native)
                if step is None:
                    plan = None
                    break
                assert plan is not None
                plan.append(step)
            CompiledReadMixin._compiled[key] = plan
        return CompiledReadMixin._compiled[key]

    @classmethod
    def compiled_representer(
        cls, *, native: bool = False, listing: bool = False
    ) -> Representer | None:
        """``representer_of`` the class's plan and masks (``listing``: a list's), written once
        per class; None without a plan."""
        key = (cls, native, listing)
        if key not in CompiledReadMixin._representers:
            plan = cls.compiled_plan(native=native)
            CompiledReadMixin._representers[key] = (
                None if plan is None else representer_of(plan, cls.masks_of(listing=listing))
            )
        return CompiledReadMixin._representers[key]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        listing = _listing(self)
        represent = type(self).compiled_representer(listing=listing)
        if represent is not None:
            with zone_fixed():
                try:
                    return represent(instance)
                except (AttributeError, KeyError, ObjectDoesNotExist):
                    pass  # a missing attribute (an unsaved instance, a dict): DRF's rules apply
        represented: dict[str, Any] = super().to_representation(instance)  # type: ignore[misc]
        for name, mask in type(self).masks_of(listing=listing).items():
            if name in represented:
                represented[name] = mask(represented[name])
        return represented


def _representer_of(serializer: Any, native: bool) -> Representer | None:
    """The compiled representer ``serializer`` writes with, or None (no plan, or an override
    of ``to_representation``)."""
    if not isinstance(serializer, CompiledReadMixin):
        return None
    kind = type(serializer)
    if kind.to_representation is not CompiledReadMixin.to_representation:
        return None
    return kind.compiled_representer(native=native, listing=_listing(serializer))


def native_representable(serializer: Any) -> bool:
    """Whether ``represent_many(serializer, ..., native=True)`` writes through a compiled plan
    whose every value is either DRF's text or a datetime ``render_native`` writes as that text
    (a serializer without one may hold other objects for DRF's encoder: never native)."""
    return _representer_of(serializer, True) is not None


def represent_many(serializer: Any, instances: list[Any], *, native: bool = False) -> list[Any]:
    """``serializer.to_representation`` of each instance (a page of rows), the zone read once;
    with a compiled plan and no override of ``to_representation``, its representer is called
    directly (no context manager and no lookup per row). ``native``: datetimes as
    ``datetime_iso`` leaves them, for ``FastJSONRenderer.render_native`` (only where
    ``native_representable``)."""
    with zone_fixed():
        represent = _representer_of(serializer, native)
        if represent is None:
            return [serializer.to_representation(instance) for instance in instances]
        represented = []
        for instance in instances:
            try:
                represented.append(represent(instance))
            except (AttributeError, KeyError, ObjectDoesNotExist):
                represented.append(serializer.to_representation(instance))  # DRF's rules
        return represented
