from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Auditoria")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate, pre_save

        from .api.sessions import revoke_on_credentials_change
        from .operators import _after_migrate

        # After auth's own post_migrate (permissions exist by then): the "operador" group.
        post_migrate.connect(_after_migrate, dispatch_uid="core.operator_group")
        pre_save.connect(
            revoke_on_credentials_change,
            sender=get_user_model(),
            dispatch_uid="core.revoke_tokens_on_credentials_change",
        )
