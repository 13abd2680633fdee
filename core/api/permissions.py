"""Roles: staff (operators: everything) and professional users (their own data only).

Object access is enforced by scoping querysets (another professional's object is simply not
found: 404, never 403 — a 403 would confirm that it exists). This module decides which
*actions* a role may run; each viewset scopes its queryset with ``scope_for``-style helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from professionals.models import Professional


def is_staff(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff)


def request_professional(request: Request) -> Professional | None:
    """The professional linked to the authenticated user, if any."""
    user = request.user
    if not (user and user.is_authenticated):
        return None
    professional: Professional | None = getattr(user, "professional", None)
    return professional


class RolePermission(BasePermission):
    """Staff may do everything; a professional user everything except the view's
    ``staff_only_actions``; any other authenticated user nothing."""

    message = _("Seu usuário não tem permissão para esta operação.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if is_staff(request):
            return True
        if request_professional(request) is None:
            return False
        staff_only: Any = getattr(view, "staff_only_actions", ())
        return getattr(view, "action", None) not in staff_only


class IsStaff(BasePermission):
    message = _("Apenas a equipe pode fazer isto.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff(request)


class DocsPermission(BasePermission):
    """The schema and docs: public when ``API_DOCS_PUBLIC`` (development default), else staff
    only (production default)."""

    message = _("A documentação da API é restrita à equipe.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        from django.conf import settings

        return bool(settings.API_DOCS_PUBLIC) or is_staff(request)
