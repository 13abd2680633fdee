from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("professionals", "0007_working_hours_exceptions_calendar_feed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="professional",
            index=models.Index(fields=["preferred_name", "id"], name="professional_name_id_idx"),
        ),
    ]
