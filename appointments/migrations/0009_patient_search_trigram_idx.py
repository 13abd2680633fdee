"""Trigram indexes for the patients search (``?search=``: name or e-mail contains).

``icontains`` is ``UPPER(col::text) LIKE UPPER('%…%')`` on PostgreSQL, which no b-tree can
serve: without these indexes every search reads the whole table. PostgreSQL only, and only
where the ``pg_trgm`` extension can be created (it is a trusted extension since PostgreSQL 13);
elsewhere the search works as before, without the index (a warning says so).
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "patient_name_trgm_idx": "name",
    "patient_email_trgm_idx": "email",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning("pg_trgm unavailable, patient search stays unindexed: %s", error)
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "appointments_patient" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0008_patient_name_id_idx"),
    ]

    operations = [migrations.RunPython(create, drop)]
