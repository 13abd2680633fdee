"""Token endpoints (JWT): obtain, refresh, verify, logout — throttled on their own rate.

Session rules (absolute lifetime, revocation) live in ``core.api.sessions``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework_simplejwt.views import (
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
    TokenViewBase,
)

from .schema import VALIDATION_ERROR, DetailErrorSerializer
from .sessions import (
    LogoutSerializer,
    SessionTokenObtainSerializer,
    SessionTokenRefreshSerializer,
    SessionTokenVerifySerializer,
)
from .throttling import ScopedRateThrottle

TAG = "Autenticação"
TOKEN_ERRORS = {400: VALIDATION_ERROR, 401: DetailErrorSerializer}
TokenPairSerializer = inline_serializer(
    name="TokenPair",
    fields={"access": serializers.CharField(), "refresh": serializers.CharField()},
)


@extend_schema_view(
    post=extend_schema(
        summary=_("Obter token (JWT)"),
        description=_(
            "Troca usuário e senha por um token de acesso (15 min) e um de renovação (24 h). "
            "A sessão dura no máximo JWT_SESSION_MAX_HOURS (12 h) desde este login: nenhuma "
            "renovação a estende. Trocar a senha ou desativar o usuário revoga todos os tokens."
        ),
        tags=[TAG],
        responses={200: TokenPairSerializer, **TOKEN_ERRORS},
    )
)
class TokenObtainView(TokenObtainPairView):
    serializer_class = SessionTokenObtainSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(
    post=extend_schema(
        summary=_("Renovar token"),
        description=_(
            "Troca o token de renovação por um novo par; o antigo deixa de valer. Recusado "
            "(401) depois do fim da sessão, de um logout, da troca de senha ou da desativação."
        ),
        tags=[TAG],
        responses={200: TokenPairSerializer, **TOKEN_ERRORS},
    )
)
class TokenRefreshThrottledView(TokenRefreshView):
    serializer_class = SessionTokenRefreshSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(
    post=extend_schema(
        summary=_("Verificar token"),
        description=_(
            "200 somente se o token é válido, não foi revogado e o usuário continua ativo "
            "com a mesma senha."
        ),
        tags=[TAG],
        responses={200: inline_serializer(name="TokenValid", fields={}), **TOKEN_ERRORS},
    ),
)
class TokenVerifyThrottledView(TokenVerifyView):
    serializer_class = SessionTokenVerifySerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(
    post=extend_schema(
        summary=_("Sair (logout)"),
        description=_(
            "Revoga o token de renovação enviado: ele não gera mais tokens. O token de acesso "
            "já emitido vale até expirar (15 min)."
        ),
        tags=[TAG],
        request=LogoutSerializer,
        responses={200: inline_serializer(name="LoggedOut", fields={}), **TOKEN_ERRORS},
    ),
)
class LogoutView(TokenViewBase):
    serializer_class = LogoutSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
