from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfessionalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "professionals"
    verbose_name = _("Profissionais")
