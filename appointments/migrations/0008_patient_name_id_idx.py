from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_appointment_date_id_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["name", "id"], name="patient_name_id_idx"),
        ),
    ]
