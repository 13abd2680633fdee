"""Trigram indexes for the patients search (``?search=``: name or e-mail contains), so a
search does not read every patient (see ``core.db``)."""

from django.db import migrations

from core.db import trigram_index_operation


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0008_patient_name_id_idx"),
    ]

    operations = [
        trigram_index_operation(
            "appointments_patient",
            {"patient_name_trgm_idx": "name", "patient_email_trgm_idx": "email"},
            "patient search",
        )
    ]
