"""Thin hand-offs: enqueue Celery tasks once the transaction commits. Nothing else here.

``robust=True``: a broker that is down at that moment must not turn a saved request into a
500; the periodic sweeper picks the work up later.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from appointments.models import Appointment
from professionals.models import IntegrationStatus, Professional
from professionals.services import ONBOARDING_FIELDS

from .tasks import create_asaas_charge_task, professional_onboard_task


@receiver(post_save, sender=Professional, dispatch_uid="payments.professional_onboard")
def enqueue_professional_onboarding(
    sender: Any,
    instance: Professional,
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    # Partial saves that touch no onboarding data (e.g. the task recording a missing field)
    # must not enqueue the task again.
    relevant = created or update_fields is None or bool(update_fields & ONBOARDING_FIELDS)
    if instance.integration_status == IntegrationStatus.PENDING and relevant:
        transaction.on_commit(partial(professional_onboard_task.delay, instance.pk), robust=True)


@receiver(post_save, sender=Appointment, dispatch_uid="payments.create_charge")
def enqueue_charge_creation(sender: Any, instance: Appointment, **kwargs: Any) -> None:
    # Intent only: the billing service marks the save that asks for a charge (a new billable
    # appointment, or one that became billable). Payment state is never written with save().
    if instance.charge_requested:
        instance.charge_requested = False
        transaction.on_commit(partial(create_asaas_charge_task.delay, instance.pk), robust=True)
