"""Database helpers shared by the apps."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


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
