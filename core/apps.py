from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .api.sessions import revoke_on_credentials_change

        pre_save.connect(
            revoke_on_credentials_change,
            sender=get_user_model(),
            dispatch_uid="core.revoke_tokens_on_credentials_change",
        )
