"""Query plans in tests: which index PostgreSQL uses for a query."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction


def plan_without(queryset: Any, *methods: str) -> str:
    """The plan of ``queryset`` with the planner's ``methods`` turned off (``seqscan``: a test
    table is tiny, so a sequential scan would win and hide which index can serve)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for method in methods:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        plan: str = queryset.explain()
    return plan
