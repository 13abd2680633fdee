"""The "operador" group: the day-to-day permissions of the operations team.

Created (and brought up to date) after every ``migrate`` and by ``manage.py
ensure_operator_group``. Operators read and edit professionals, patients and appointments,
book and delete appointments, cancel charges and read payments, metrics and the audit logs.
Deleting professionals or patients and refunding payments stay with superusers (or a
permission granted one by one in the admin: ``professionals.delete_professional``,
``appointments.delete_patient``, ``payments.change_paymenttransaction``).
"""

from __future__ import annotations

from typing import Any

OPERATOR_GROUP = "operador"
OPERATOR_PERMISSIONS = (
    "professionals.view_professional",
    "professionals.add_professional",
    "professionals.change_professional",
    # Working hours, schedule exceptions and calendar feeds of the professionals.
    "professionals.view_workinghoursrule",
    "professionals.add_workinghoursrule",
    "professionals.change_workinghoursrule",
    "professionals.delete_workinghoursrule",
    "professionals.view_scheduleexception",
    "professionals.add_scheduleexception",
    "professionals.change_scheduleexception",
    "professionals.delete_scheduleexception",
    "professionals.view_calendarfeed",
    "professionals.add_calendarfeed",
    "professionals.change_calendarfeed",
    "professionals.delete_calendarfeed",
    "appointments.view_patient",
    "appointments.add_patient",
    "appointments.change_patient",
    "appointments.view_appointment",
    "appointments.add_appointment",
    "appointments.change_appointment",
    "appointments.delete_appointment",
    "payments.view_paymenttransaction",
    "payments.view_webhookevent",
    "core.view_accesslog",
)


def operator_group_ensure(*, apps: Any = None) -> Any:
    """Create the group if missing and set exactly its permissions; returns the group."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=OPERATOR_GROUP)
    wanted = []
    for dotted in OPERATOR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        permission = permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            wanted.append(permission)
    group.permissions.set(wanted)
    return group


GRANTING_APPS = {dotted.split(".")[0] for dotted in OPERATOR_PERMISSIONS}


def _after_migrate(sender: Any, **kwargs: Any) -> None:
    """``post_migrate`` runs once per app, right after that app's permissions are created:
    refresh the group after each app that grants some of them."""
    if sender.label in GRANTING_APPS:
        operator_group_ensure()
