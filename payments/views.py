"""Payment endpoints: appointment actions, the Asaas webhook, and staff metrics."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import Appointment
from appointments.selectors import appointment_list_for
from core.api.idempotency import idempotent
from core.api.parsers import json_tree_check, strict_json_loads
from core.api.permissions import IsStaff, is_staff
from core.api.query import StrictQueryParamsMixin, query_params_check
from core.api.schema import NOT_FOUND, VALIDATION_ERROR, DetailErrorSerializer
from core.api.throttling import ScopedRateThrottle
from core.audit import access_log_record
from core.models import AccessAction
from payments.metrics import payment_metrics_cached
from payments.models import PaymentTransaction, WebhookOutcome
from payments.serializers import (
    AsaasWebhookEventSerializer,
    PaymentStatusSerializer,
    RefundRequestSerializer,
    WebhookAckSerializer,
)
from payments.services import charge_actions, webhooks
from payments.services.asaas_service import AsaasError
from payments.services.webhook_payload import webhook_payload_scrub
from payments.tasks import webhook_processing_request
from payments.throttling import AsaasRefreshThrottle, wants_refresh

TAG = "Pagamentos"
ASAAS_UNAVAILABLE = OpenApiResponse(
    DetailErrorSerializer, description=gettext_lazy("O Asaas não respondeu; tente novamente.")
)


def _asaas_unavailable(error: AsaasError) -> Response:
    return Response(
        {"detail": _("O Asaas não respondeu: %(error)s") % {"error": type(error).__name__}},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


class AppointmentPaymentViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet[Appointment]):
    """Payment actions on an appointment: /api/appointments/{id}/<action>/."""

    def get_serializer_class(self) -> Any:
        # Used by OPTIONS (metadata); the actions build their own serializers.
        return RefundRequestSerializer if self.action == "refund" else PaymentStatusSerializer

    staff_only_actions = ("refund", "resubmit_payment")
    query_params_by_action = {"payment_status": ("refresh",)}
    # Staff model permissions per action (see core.api.permissions).
    staff_permissions = {
        "payment_status": ("appointments.view_appointment",),
        "cancel_payment": ("appointments.change_appointment",),
        "refund": ("appointments.change_appointment", "payments.change_paymenttransaction"),
        "resubmit_payment": (
            "appointments.change_appointment",
            "payments.change_paymenttransaction",
        ),
    }

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if (
            self.action == "payment_status"
            and wants_refresh(self.request.query_params.get("refresh"))
            and not is_staff(self.request)
        ):
            throttles.append(AsaasRefreshThrottle())
        return throttles

    def get_queryset(self) -> QuerySet[Appointment]:
        return appointment_list_for(user=self.request.user).prefetch_related(
            Prefetch(
                "payment_transactions",
                queryset=PaymentTransaction.objects.order_by("-created_at", "-id"),
            )
        )

    def _respond(self, appointment_id: int) -> Response:
        appointment = self.get_queryset().get(pk=appointment_id)
        return Response(PaymentStatusSerializer(appointment).data)

    @extend_schema(
        summary=gettext_lazy("Cancelar cobrança"),
        description=gettext_lazy(
            "Cancela a cobrança ainda não paga (e a apaga no Asaas). Libera o horário."
        ),
        tags=[TAG],
        request=None,
        responses={200: PaymentStatusSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    @idempotent
    @action(detail=True, methods=["post"], url_path="cancel_payment")
    def cancel_payment(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        charge_actions.charge_cancel(appointment_id=appointment.pk)
        return self._respond(appointment.pk)

    @extend_schema(
        summary=gettext_lazy("Status do pagamento"),
        description=gettext_lazy(
            "Estado local da cobrança e as últimas transações; com refresh=true também "
            "sincroniza com o Asaas (para profissionais, limitado a THROTTLE_ASAAS_REFRESH_RATE, "
            "10 por minuto: 429 além disso)."
        ),
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "refresh",
                {"type": "string", "enum": ["true", "false", "1", "0"]},
                description=gettext_lazy("Consultar o Asaas antes de responder."),
            )
        ],
        responses={
            200: PaymentStatusSerializer,
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
            503: ASAAS_UNAVAILABLE,
        },
    )
    @action(detail=True, methods=["get"], url_path="payment_status")
    def payment_status(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        refresh = request.query_params.get("refresh", "false")
        if refresh not in {"true", "false", "1", "0"}:
            raise ValidationError({"refresh": [_("Use true ou false.")]})
        if refresh in {"true", "1"}:
            try:
                charge_actions.charge_sync(appointment_id=appointment.pk)
            except AsaasError as error:
                return _asaas_unavailable(error)
        access_log_record(request=request, objects=[appointment], action=AccessAction.RETRIEVE)
        if refresh in {"true", "1"}:
            return self._respond(appointment.pk)  # read again: the sync may have changed it
        return Response(PaymentStatusSerializer(appointment).data)

    @extend_schema(
        summary=gettext_lazy("Reembolsar pagamento"),
        description=gettext_lazy(
            "Somente equipe. Reembolso total (sem amount) ou parcial de uma consulta paga."
        ),
        tags=[TAG],
        request=RefundRequestSerializer,
        responses={200: PaymentStatusSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    @idempotent
    @action(detail=True, methods=["post"], url_path="refund")
    def refund(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amount: Decimal | None = serializer.validated_data.get("amount")
        charge_actions.charge_refund(
            appointment_id=appointment.pk,
            amount=amount,
            description=serializer.validated_data.get("description", ""),
        )
        return self._respond(appointment.pk)

    @extend_schema(
        summary=gettext_lazy("Reenviar cobrança que falhou"),
        description=gettext_lazy(
            "Somente equipe. Uma cobrança FAILED volta a PENDING e é enviada de novo ao Asaas."
        ),
        tags=[TAG],
        request=None,
        responses={200: PaymentStatusSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="resubmit_payment")
    def resubmit_payment(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        charge_actions.charge_resubmit(appointment_id=appointment.pk)
        return self._respond(appointment.pk)


def webhook_body_parse(body: bytes) -> Any:
    """The webhook's JSON body, strictly parsed; ``ValidationError`` (400) otherwise."""
    try:
        # Depth and NUL only matter in what is kept (the allowlist drops the rest).
        payload = strict_json_loads(body, parse_float=Decimal, check_tree=False)
        if isinstance(payload, dict):
            json_tree_check(webhook_payload_scrub(payload))
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(
            {"non_field_errors": [_("O corpo da requisição não é um JSON válido.")]}
        ) from None
    if isinstance(payload, dict) and not isinstance(payload.get("payment", {}), dict):
        raise ValidationError({"payment": [_("Informe um objeto.")]})
    return payload


def webhook_answer(event: Any, created: bool) -> dict[str, Any]:
    """The acknowledgement; a new event is handed to its processing once its store commits."""
    outcome = event.outcome
    if created:
        # Stored (committed) before the answer: from here on the event is never lost.
        # Store first, answer, process after: a task applies it once the store commits
        # (the replay task picks it up if the broker is down), so Asaas gets its 200 fast.
        transaction.on_commit(partial(webhook_processing_request, event.pk), robust=True)
        outcome = WebhookOutcome.RECEIVED
    return {"received": True, "duplicate": not created, "outcome": outcome}


class AsaasWebhookView(APIView):
    """Receives Asaas webhooks. Authenticated by the static ``asaas-access-token`` header."""

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    # Asaas sends JSON only (the body is read raw, strictly; this also shapes the schema).
    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "asaas_webhook"

    @extend_schema(
        summary=gettext_lazy("Webhook do Asaas"),
        description=gettext_lazy(
            "Recebe eventos de cobrança do Asaas (cabeçalho asaas-access-token). O evento é "
            "guardado pelo id antes de tudo e processado depois da resposta (outcome RECEIVED); "
            "repetidos respondem 200 sem efeito."
        ),
        tags=[TAG],
        request=AsaasWebhookEventSerializer,
        parameters=[
            OpenApiParameter(
                "asaas-access-token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True
            )
        ],
        responses={
            200: WebhookAckSerializer,
            400: VALIDATION_ERROR,
            401: OpenApiResponse(
                DetailErrorSerializer, description=gettext_lazy("Token inválido.")
            ),
            413: OpenApiResponse(
                DetailErrorSerializer,
                description=gettext_lazy("Corpo maior que WEBHOOK_MAX_BYTES (64 KiB)."),
            ),
        },
    )
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.WEBHOOK_MAX_BYTES:
            return Response(
                {"detail": _("O corpo do webhook é grande demais.")},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if not webhooks.webhook_token_is_valid(request.headers.get("asaas-access-token")):
            return Response(
                {"detail": _("Token de webhook ausente ou inválido.")},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        payload = webhook_body_parse(request.body)
        event, created = webhooks.webhook_event_store(payload=payload)
        return Response(webhook_answer(event, created))


class PaymentMetricsView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsStaff]
    staff_permissions = ("payments.view_paymenttransaction",)

    @extend_schema(
        summary=gettext_lazy("Métricas de pagamento"),
        description=gettext_lazy(
            "Métricas diárias (cobranças, pagas, receita da plataforma, repasses) e saúde da "
            "integração com o Asaas. Somente equipe."
        ),
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": 90, "default": 7},
                description=gettext_lazy("Dias (1 a 90, padrão 7)."),
            )
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            400: VALIDATION_ERROR,
            403: OpenApiResponse(DetailErrorSerializer),
        },
    )
    def get(self, request: Request) -> Response:
        query_params_check(request, {"days"})
        raw = request.query_params.get("days", "7")
        if not raw.isdigit() or not 1 <= int(raw) <= 90:
            raise ValidationError({"days": [_("Informe um número inteiro entre 1 e 90.")]})
        return Response(payment_metrics_cached(days=int(raw)))
