"""Readiness checks of the payments side: Asaas reachability and the webhook backlog."""

from __future__ import annotations

import dataclasses
import datetime
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from payments.models import WebhookEvent, WebhookOutcome
from payments.services.asaas_service import (
    AsaasAuthenticationError,
    AsaasConfigurationError,
    AsaasError,
    AsaasService,
)


@dataclasses.dataclass
class AsaasReachable(HealthCheck):
    """One GET to Asaas (no retry, short timeout) answers with the configured key."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        try:
            with AsaasService.from_settings(
                timeout=self.timeout.total_seconds(), max_retries=0
            ) as asaas:
                asaas.wallet_list()
        except AsaasConfigurationError as error:
            raise ServiceUnavailable("not configured") from error
        except AsaasAuthenticationError as error:
            raise ServiceUnavailable("API key refused") from error
        except AsaasError as error:
            raise ServiceUnavailable(type(error).__name__) from error


@dataclasses.dataclass
class WebhookBacklog(HealthCheck):
    """Webhook events failed or left unprocessed past WEBHOOK_STRANDED_AFTER_SECONDS."""

    def run(self) -> None:
        try:
            self._count()
        finally:
            connections.close_all()  # this runs in an executor thread: leave no connection

    def _count(self) -> None:
        stranded = timezone.now() - timedelta(seconds=settings.WEBHOOK_STRANDED_AFTER_SECONDS)
        waiting = WebhookEvent.objects.filter(
            outcome=WebhookOutcome.RECEIVED, received_at__lt=stranded
        ).count()
        failed = WebhookEvent.objects.filter(outcome=WebhookOutcome.FAILED).count()
        limit = settings.HEALTH_WEBHOOK_BACKLOG_MAX
        if waiting + failed > limit:
            raise ServiceUnavailable(f"{waiting} stranded and {failed} failed events (> {limit})")
        if waiting + failed:
            raise ServiceWarning(f"{waiting} stranded and {failed} failed events")
