"""Cross-cutting records: the read-access audit log (LGPD accountability).

Writes (create/update/delete) are recorded by django-simple-history on each audited model,
with the user and the client IP; this table records who *read* which record, when and from
where. Both are kept for ``AUDIT_RETENTION_DAYS`` (``purge_audit`` deletes what is older).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    RETRIEVE = "RETRIEVE", _("Leitura do registro")
    LIST = "LIST", _("Listagem")


class AccessLog(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuário"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        # Append-only and written in batches of thousands: no foreign-key check per row (Django
        # still applies SET_NULL when a user is deleted) and no index of its own
        # (accesslog_actor_idx starts with it).
        db_constraint=False,
        db_index=False,
    )
    actor_username = models.CharField(_("nome de usuário"), max_length=150, blank=True)
    action = models.CharField(_("ação"), max_length=10, choices=AccessAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("tipo"),
        on_delete=models.CASCADE,
        related_name="+",
        # As for actor (accesslog_object_idx starts with it).
        db_constraint=False,
        db_index=False,
    )
    object_id = models.CharField(_("id do registro"), max_length=64)
    ip_address = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("navegador/cliente"), max_length=255, blank=True)
    path = models.CharField(_("caminho"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("quando"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("acesso a dados")
        verbose_name_plural = _("acessos a dados")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="accesslog_object_idx"),
            models.Index(fields=["actor", "created_at"], name="accesslog_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_username or '?'} {self.action} {self.content_type_id}:{self.object_id}"


class AuditPurge(models.Model):
    """One run of ``purge_audit``: when, by whom, the retention used and what it deleted."""

    created_at = models.DateTimeField(_("quando"), auto_now_add=True)
    performed_by = models.CharField(_("por"), max_length=150)
    retention_days = models.PositiveIntegerField(_("retenção (dias)"))
    cutoff = models.DateTimeField(_("apagado o anterior a"))
    forced = models.BooleanField(_("abaixo do mínimo (--force)"), default=False)
    counts = models.JSONField(_("registros apagados"), default=dict)
    total = models.PositiveIntegerField(_("total apagado"), default=0)

    class Meta:
        verbose_name = _("expurgo de auditoria")
        verbose_name_plural = _("expurgos de auditoria")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.performed_by}: {self.total}"


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` of one user: the request it was first used with and, once that
    request finished, the answer to replay. Kept for ``IDEMPOTENCY_KEY_TTL_HOURS`` (see
    ``core/api/idempotency.py``; ``purge_idempotency_keys`` deletes older rows)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuário"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("chave"), max_length=255)
    method = models.CharField(_("método"), max_length=10)
    path = models.CharField(_("caminho"), max_length=255)
    fingerprint = models.CharField(_("impressão da requisição"), max_length=64)
    # NULL while the first request is still running.
    response_status = models.PositiveSmallIntegerField(_("status da resposta"), null=True)
    response_body = models.JSONField(_("corpo da resposta"), null=True)
    created_at = models.DateTimeField(_("criada em"), db_index=True)
    completed_at = models.DateTimeField(_("concluída em"), null=True)

    class Meta:
        verbose_name = _("chave de idempotência")
        verbose_name_plural = _("chaves de idempotência")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_user_key_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
