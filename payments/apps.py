from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Pagamentos")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the post_save hand-offs
