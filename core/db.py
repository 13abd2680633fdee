"""Database helpers shared by the apps."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import types
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Self

import psycopg
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.dateparse import parse_datetime


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')``: back-to-back intervals do not overlap."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ``ExclusionConstraint`` that is silently skipped on databases other than PostgreSQL.

    The project also runs on SQLite (development and tests without a server); there the rule it
    enforces is checked by the service layer instead, which does the same check on every
    database before writing.
    """

    @staticmethod
    def _is_postgres(schema_editor: Any) -> bool:
        return bool(schema_editor.connection.vendor == "postgresql")

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().constraint_sql(model, schema_editor)
            if self._is_postgres(schema_editor)
            else None
        )

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().create_sql(model, schema_editor) if self._is_postgres(schema_editor) else None
        )

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().remove_sql(model, schema_editor) if self._is_postgres(schema_editor) else None
        )

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class FastLoadMixin:
    """Mix into a model read in lists: rows become instances without ``Model.__init__``.

    ``Model.from_db`` builds each instance through ``__init__`` (a ``setattr`` per column, the
    ``pre_init``/``post_init`` signals); for a page of appointments with their professionals
    that is a fifth of the request. Django documents ``from_db`` as the hook to customise
    loading: this one writes the loaded columns straight into the instance's ``__dict__`` —
    what ``__init__`` ends up doing for positional values, deferred columns left out, so they
    load on first access as before — and sends ``post_init`` when something listens to it.
    With a ``pre_init`` receiver (which may change the arguments) or an ``__init__`` of the
    model's own, Django's path runs.
    ``loaded_copies`` (attribute → loaded column attname) keeps, on every loaded instance, the
    value a column had when loaded (None if it was not): what a ``post_init`` receiver would
    do, without a signal sent per row. ``from_db_many`` loads a page of rows with the
    signals' listeners looked up once.
    ``core/tests/test_fast_load.py`` holds the equivalence with ``Model.__init__``.
    """

    loaded_copies: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        if not cls._loads_plainly():
            loaded: Self = super().from_db(db, field_names, values)  # type: ignore[misc]
            cls._copies_keep(loaded.__dict__)
            return loaded
        return cls._load_plainly(db, field_names, values, post_init.has_listeners(cls))

    @classmethod
    def from_db_many(
        cls, db: str | None, field_names: Collection[str], rows: Iterable[Collection[Any]]
    ) -> list[Self]:
        """``from_db`` of each row, the signals' listeners looked up once for all of them (a
        page of appointments with their professionals is 40 instances: 80 lookups, 80 µs)."""
        if not cls._loads_plainly():
            return [cls.from_db(db, field_names, values) for values in rows]
        post = post_init.has_listeners(cls)
        return [cls._load_plainly(db, field_names, values, post) for values in rows]

    @classmethod
    def _loads_plainly(cls) -> bool:
        """No ``__init__`` of the model's own and no ``pre_init`` receiver (which may change
        the arguments): the instance can be built without ``__init__``."""
        model: Any = cls
        return model.__init__ is Model.__init__ and not pre_init.has_listeners(model)

    @classmethod
    def _load_plainly(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], post: bool
    ) -> Self:
        model: Any = cls
        loaded: Self = model.__new__(model)
        state = ModelState()
        state.adding = False
        state.db = db
        attributes = loaded.__dict__
        attributes["_state"] = state
        attributes.update(zip(field_names, values, strict=True))
        if post:
            post_init.send(sender=model, instance=loaded)
        cls._copies_keep(attributes)
        return loaded

    @classmethod
    def _copies_keep(cls, attributes: dict[str, Any]) -> None:
        for copy, attname in cls.loaded_copies.items():
            attributes[copy] = attributes.get(attname)


def trigram_index_operation(table: str, indexes: dict[str, str], subject: str) -> Any:
    """A migration operation creating GIN trigram indexes on ``UPPER(column)`` — what
    ``icontains`` compares on PostgreSQL (``UPPER(col::text) LIKE UPPER('%…%')``), which no
    b-tree can serve. ``indexes`` maps index names to columns of ``table``. PostgreSQL only,
    and only where the ``pg_trgm`` extension can be created (a trusted extension since
    PostgreSQL 13); elsewhere ``subject`` stays unindexed, with a warning."""
    from django.db import DatabaseError, migrations, transaction

    logger = logging.getLogger("core.db")

    def create(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            logger.warning("pg_trgm unavailable, %s stays unindexed: %s", subject, error)
            return
        for name, column in indexes.items():
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(create, drop)


#: psycopg's default: a statement text is prepared on its fifth execution on a connection.
PREPARE_THRESHOLD = 5


@contextlib.contextmanager
def prepared_cursor(alias: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    """A cursor of the PostgreSQL connection ``alias`` whose parameters are bound by the server
    and whose statements psycopg prepares once they repeat (``PREPARE_THRESHOLD``): PostgreSQL
    then skips parsing and, for most of them, planning — half its CPU for the hot reads' short
    statements. Django's own cursors bind on the client and never prepare (for connection
    poolers; ``server_side_binding`` would switch every query); this one is for the few
    statements written for it, whose texts are few (values always as parameters).

    It is Django's cursor wrapper around a psycopg ``Cursor`` of the same connection:
    database errors are Django's, ``execute_wrapper`` and query logging see its statements.
    ``DB_PREPARED_STATEMENTS = False`` (behind a transaction pooler that keeps no prepared
    statements, such as PgBouncer before 1.21) binds on the server without preparing."""
    connection: Any = connections[alias]
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    raw.prepare_threshold = (
        PREPARE_THRESHOLD if getattr(settings, "DB_PREPARED_STATEMENTS", True) else None
    )
    cursor = psycopg.Cursor(raw)
    wrapped = (
        connection.make_debug_cursor(cursor)
        if connection.queries_logged
        else connection.make_cursor(cursor)
    )
    with wrapped:
        yield wrapped


#: The largest key of a ``bigint`` primary key (a larger number names no row; SQLite could not
#: even bind it).
BIGINT_MAX = 2**63 - 1


def column(model: type[Model], name: str) -> str:
    """``"table"."column"`` of the model's field ``name`` (a relation: its ``_id`` column),
    for SQL written by hand (the fast reads, the schedule statement)."""
    return _column(connections[DEFAULT_DB_ALIAS].vendor, model, name)


@functools.cache
def _column(vendor: str, model: type[Model], name: str) -> str:
    # Written once per database kind, model and field: the hand-written statements of a
    # free-slot search name some forty columns, each a field lookup and two quotings.
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    model_field: Any = model._meta.get_field(name)
    return f"{quote(model._meta.db_table)}.{quote(model_field.column)}"


def columns(model: type[Model]) -> Mapping[str, str]:
    """``column`` of each of ``model``'s concrete fields, by name (read-only, shared)."""
    return _columns(connections[DEFAULT_DB_ALIAS].vendor, model)


@functools.cache
def _columns(vendor: str, model: type[Model]) -> Mapping[str, str]:
    names = [item.name for item in model._meta.concrete_fields]
    return types.MappingProxyType({name: _column(vendor, model, name) for name in names})


def row_exists_statement(model: type[Model]) -> str:
    """``SELECT 1`` of ``model``'s row whose primary key is the statement's one parameter."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    key = column(model, model._meta.pk.name)
    return f"SELECT 1 FROM {quote(model._meta.db_table)} WHERE {key} = %s"  # noqa: S608


# Values of hand-written statements as each database returns them: PostgreSQL gives Python
# objects; SQLite gives ISO text where the column's declared type is lost (a UNION, a scalar
# subquery), and naive UTC datetimes (what Django stores).


def db_datetime(value: Any) -> dt.datetime | None:
    """A timestamp column's value (or NULL), aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    result: dt.datetime | None = value
    return result


def db_date(value: Any) -> Any:
    """A date column's value (or NULL): a ``date``."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def db_time(value: Any) -> Any:
    """A time column's value (or NULL): a ``time``."""
    return dt.time.fromisoformat(value) if isinstance(value, str) else value
