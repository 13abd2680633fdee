"""Token endpoints (JWT): obtain, refresh, verify — throttled on their own rate."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from .schema import VALIDATION_ERROR, DetailErrorSerializer

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
            "Troca usuário e senha por um token de acesso (15 min) e um de renovação (24 h)."
        ),
        tags=[TAG],
        responses={200: TokenPairSerializer, **TOKEN_ERRORS},
    )
)
class TokenObtainView(TokenObtainPairView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(
    post=extend_schema(
        summary=_("Renovar token"),
        description=_("Troca o token de renovação por um novo par; o antigo deixa de valer."),
        tags=[TAG],
        responses={200: TokenPairSerializer, **TOKEN_ERRORS},
    )
)
class TokenRefreshThrottledView(TokenRefreshView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(
    post=extend_schema(
        summary=_("Verificar token"),
        tags=[TAG],
        responses={200: inline_serializer(name="TokenValid", fields={}), **TOKEN_ERRORS},
    ),
)
class TokenVerifyThrottledView(TokenVerifyView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
