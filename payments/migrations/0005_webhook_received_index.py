"""An index on ``(received_at, id)`` of the webhook events: their default ordering (the admin's
list) and the metrics' "last webhook" read it backwards from the newest instead of sorting
every event ever received (a sequential scan and a sort of the whole table per request).

Built ``CONCURRENTLY`` on PostgreSQL: webhooks keep being stored while it builds (a plain
``CREATE INDEX`` would hold their INSERTs, and so their 200s, for the whole build). Elsewhere
(SQLite) a plain index."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, a plain ``AddIndex`` elsewhere."""

    @staticmethod
    def _operation_on(schema_editor: Any) -> type[migrations.AddIndex]:
        postgres = schema_editor.connection.vendor == "postgresql"
        return AddIndexConcurrently if postgres else migrations.AddIndex

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        self._operation_on(schema_editor).database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        self._operation_on(schema_editor).database_backwards(
            self, app_label, schema_editor, *states
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("payments", "0004_request_ids"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="webhookevent",
            index=models.Index(fields=["received_at", "id"], name="webhook_received_idx"),
        ),
    ]
