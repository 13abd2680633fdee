"""Token sessions: an absolute lifetime, logout, and revocation on password change/deactivation.

* Every refresh token carries ``auth_time`` (when the user typed the password). A refresh is
  refused once ``JWT_SESSION_MAX_HOURS`` have passed since then, and a rotated refresh token
  never expires after that instant: a stolen refresh token dies with its session.
* Tokens carry a digest of the password hash (simplejwt's ``CHECK_REVOKE_TOKEN``): changing the
  password invalidates every access token already issued; refresh and verify check it too.
* Changing the password or deactivating the user blacklists every outstanding refresh token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.api.fields import not_blank_no_nul

AUTH_TIME_CLAIM = "auth_time"


def session_max_age() -> dt.timedelta:
    return dt.timedelta(hours=int(settings.JWT_SESSION_MAX_HOURS))


class SessionRefreshToken(RefreshToken):
    """A refresh token that remembers when its session began."""

    @classmethod
    def for_user(cls, user: Any) -> SessionRefreshToken:
        token = cast(SessionRefreshToken, super().for_user(user))
        token[AUTH_TIME_CLAIM] = int(timezone.now().timestamp())
        return token


def _token_user(token: Any) -> Any:
    """The user the token names, provided it may still use it; else ``TokenError``."""
    user_id = token.payload.get(api_settings.USER_ID_CLAIM)
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not user.is_active:
        raise TokenError(_("Usuário inativo ou inexistente."))
    if token.payload.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenError(_("Token revogado: a senha foi alterada."))
    return user


class SessionTokenObtainSerializer(TokenObtainPairSerializer):
    token_class = SessionRefreshToken

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in (self.username_field, "password"):  # the schema shows the rule as a pattern
            self.fields[name].validators.append(not_blank_no_nul())


class SessionTokenRefreshSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(write_only=True, validators=[not_blank_no_nul()])

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = SessionRefreshToken(attrs["refresh"])  # signature, expiry, blacklist
        _token_user(refresh)
        started = refresh.payload.get(AUTH_TIME_CLAIM)
        if not isinstance(started, int):
            raise TokenError(_("Sessão sem início registrado: faça login de novo."))
        session_end = dt.datetime.fromtimestamp(started, tz=dt.UTC) + session_max_age()
        now = timezone.now()
        if now >= session_end:
            raise TokenError(_("Sessão expirada: faça login de novo."))
        refresh.blacklist()
        refresh.set_jti()
        refresh.set_iat(at_time=now)
        refresh.set_exp(from_time=now)
        if refresh.payload["exp"] > int(session_end.timestamp()):
            refresh.payload["exp"] = int(session_end.timestamp())
        refresh.outstand()
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class SessionTokenVerifySerializer(serializers.Serializer[Any]):
    token = serializers.CharField(write_only=True, validators=[not_blank_no_nul()])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = UntypedToken(attrs["token"])
        jti = token.payload.get(api_settings.JTI_CLAIM)
        if BlacklistedToken.objects.filter(token__jti=jti).exists():
            raise TokenError(_("Token revogado."))
        _token_user(token)
        return {}


class LogoutSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(write_only=True, validators=[not_blank_no_nul()])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        SessionRefreshToken(attrs["refresh"]).blacklist()
        return {}


def user_tokens_revoke(*, user_id: int) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many."""
    pending = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    return len(
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in pending], ignore_conflicts=True
        )
    )


def revoke_on_credentials_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_save`` of the user model: a new password or a deactivation ends every session."""
    if instance.pk is None or kwargs.get("raw"):
        return
    previous = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if previous is None:
        return
    if previous["password"] != instance.password or (
        previous["is_active"] and not instance.is_active
    ):
        user_id = instance.pk
        transaction.on_commit(lambda: user_tokens_revoke(user_id=user_id))
