"""Roles: staff (operators: what their Django model permissions allow) and professional users
(their own data only).

Staff users are held to Django's model permissions, as in the admin: reading needs
``view_<model>``, creating ``add_``, editing ``change_``, deleting ``delete_``; a view may name
the permissions of its own actions in ``staff_permissions`` (e.g. a refund). The "operador"
group (``core.operators``) bundles the day-to-day ones; superusers have them all.

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


METHOD_PERMISSIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def staff_permissions_required(request: Request, view: APIView) -> tuple[str, ...]:
    """The Django permissions a staff user needs for this request on this view."""
    declared: Any = getattr(view, "staff_permissions", None)
    action = getattr(view, "action", None)
    if isinstance(declared, dict) and action in declared:
        return tuple(declared[action])
    if isinstance(declared, tuple | list):
        return tuple(declared)
    get_queryset = getattr(view, "get_queryset", None)
    if get_queryset is None:
        return ()
    model = get_queryset().model
    verb = METHOD_PERMISSIONS.get(request.method or "GET", "change")
    return (f"{model._meta.app_label}.{verb}_{model._meta.model_name}",)


def staff_may(request: Request, view: APIView) -> bool:
    return bool(request.user.has_perms(staff_permissions_required(request, view)))


class RolePermission(BasePermission):
    """Staff may do what their model permissions allow; a professional user everything except
    the view's ``staff_only_actions``; any other authenticated user nothing."""

    message = _("Seu usuário não tem permissão para esta operação.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if is_staff(request):
            return staff_may(request, view)
        if request_professional(request) is None:
            return False
        staff_only: Any = getattr(view, "staff_only_actions", ())
        return getattr(view, "action", None) not in staff_only


class IsStaff(BasePermission):
    """Staff with the view's ``staff_permissions`` (model permissions)."""

    message = _("Apenas a equipe pode fazer isto.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff(request) and staff_may(request, view)


class DocsPermission(BasePermission):
    """The schema and docs: public when ``API_DOCS_PUBLIC`` (development default), else staff
    only (production default)."""

    message = _("A documentação da API é restrita à equipe.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        from django.conf import settings

        return bool(settings.API_DOCS_PUBLIC) or is_staff(request)
