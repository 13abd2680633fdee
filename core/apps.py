from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Auditoria")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.signals import setting_changed
        from django.db.backends.signals import connection_created
        from django.db.models.signals import (
            m2m_changed,
            post_delete,
            post_migrate,
            post_save,
            pre_save,
        )

        from professionals.models import Professional

        from .api import token_user
        from .api.sessions import revoke_on_credentials_change
        from .operators import _after_migrate
        from .pg_adapters import timestamptz_loader_install

        # Timestamps parsed by psycopg's C loader (Django registers a pure-Python one).
        connection_created.connect(timestamptz_loader_install, dispatch_uid="core.pg_timestamptz")

        # After auth's own post_migrate (permissions exist by then): the "operador" group.
        post_migrate.connect(_after_migrate, dispatch_uid="core.operator_group")
        pre_save.connect(
            revoke_on_credentials_change,
            sender=get_user_model(),
            dispatch_uid="core.revoke_tokens_on_credentials_change",
        )
        # The cached user snapshots of JWT authentication (core.api.token_user).
        user_model = get_user_model()
        for signal in (post_save, post_delete):
            signal.connect(
                token_user.forget_saved_user, sender=user_model, dispatch_uid="core.auth_snapshot"
            )
            signal.connect(
                token_user.bump_on_professional_change,
                sender=Professional,
                dispatch_uid="core.auth_snapshot_professional",
            )
        # Validated access tokens are remembered per process: a new key forgets them.
        setting_changed.connect(
            token_user.validated_tokens_clear, dispatch_uid="core.validated_tokens"
        )
        for through in (
            user_model.groups.through,
            user_model.user_permissions.through,
            Group.permissions.through,
        ):
            m2m_changed.connect(
                token_user.forget_user_m2m, sender=through, dispatch_uid=f"core.auth_m2m_{through}"
            )
