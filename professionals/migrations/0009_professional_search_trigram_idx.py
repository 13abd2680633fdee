"""Trigram indexes for the professionals search (``?search=``: preferred name or profession
contains), so a search does not read every professional (see ``core.db``)."""

from django.db import migrations

from core.db import trigram_index_operation


class Migration(migrations.Migration):
    dependencies = [
        ("professionals", "0008_professional_name_id_idx"),
    ]

    operations = [
        trigram_index_operation(
            "professionals_professional",
            {
                "professional_name_trgm_idx": "preferred_name",
                "professional_profession_trgm_idx": "profession",
            },
            "the professionals search",
        )
    ]
