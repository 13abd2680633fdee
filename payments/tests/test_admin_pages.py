"""The admin as a product: branding, human labels, one money format, the dashboard's data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from .admin_world import LABEL, AdminWorld, make_admin_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> AdminWorld:
    return make_admin_world()


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_branding_in_portuguese(admin_client: Client) -> None:
    html = page(admin_client, reverse("admin:index"))
    assert "<title>Administração | Medical API</title>" in html
    assert "Medical API" in html
    assert "Django" not in re.sub(r"<[^>]+>", " ", html)  # no "Administração do Django"
    assert reverse("admin:payments_dashboard") in html


def test_appointment_label_in_title_breadcrumbs_history_and_transactions(
    admin_client: Client, world: AdminWorld
) -> None:
    assert str(world.paid) == LABEL
    change = page(
        admin_client, reverse("admin:appointments_appointment_change", args=[world.paid.pk])
    )
    assert re.search(rf"<title>{LABEL} \| [^<]+ \| Medical API</title>", change)
    breadcrumbs = change.split('<div class="breadcrumbs">')[1].split("</div>")[0]
    assert LABEL in breadcrumbs
    history = page(
        admin_client, reverse("admin:appointments_appointment_history", args=[world.paid.pk])
    )
    assert LABEL in history
    transactions = page(admin_client, reverse("admin:payments_paymenttransaction_changelist"))
    assert LABEL in transactions
    assert "@" not in LABEL


def test_money_has_one_format(admin_client: Client, world: AdminWorld) -> None:
    transactions = page(admin_client, reverse("admin:payments_paymenttransaction_changelist"))
    assert "R$ 1.234,56" in transactions  # the amount column
    assert re.search(r"<td>R\$ [0-9.]+,\d\d</td>", transactions)  # the metrics table
    assert re.search(r"<td>\d\d/\d\d/\d{4}</td>", transactions)  # its days, as people write them
    assert not re.search(r"\d{4}-\d\d-\d\d", transactions.split('id="payment-metrics"')[1][:4000])
    assert "1234.56" not in transactions
    assert "1234,56" not in transactions.replace("R$ 1.234,56", "")
    detail = page(
        admin_client,
        reverse("admin:payments_paymenttransaction_change", args=[world.transaction.pk]),
    )
    assert "R$ 1.234,56" in detail
    appointments = page(admin_client, reverse("admin:appointments_appointment_changelist"))
    assert "R$ 1.234,56" in appointments
    assert "R$ 150,00" in appointments


def test_dashboard_data(admin_client: Client, world: AdminWorld) -> None:
    html = page(admin_client, reverse("admin:payments_dashboard"))
    data: dict[str, Any] = json.loads(
        html.split('<script id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert len(data["labels"]) == data["days"] == 14
    # Made by make_admin_world: day d has (d % 3 + 1) paid, plus one failed when d % 4 == 0.
    expected_paid = [d % 3 + 1 for d in range(10)]
    expected_paid[0] += 1  # the R$ 1.234,56 one
    assert data["paid"][-10:] == list(reversed(expected_paid))
    assert data["failed"][-10:] == list(reversed([1 if d % 4 == 0 else 0 for d in range(10)]))
    assert data["charges"][-1] == expected_paid[0] + 1
    assert data["paid_amount"][-1] == "1384.56"  # strings with two places, never floats
    assert data["platform_revenue"][-1] == "207.68"
    assert data["failed_calls"][-1] == 1
    assert data["backlog"] == {"waiting": 1, "stranded": 1, "failed": 1}
    assert data["totals"]["paid_amount"].startswith("R$ ")
    for canvas in ("charges", "paid-volume", "split", "failures", "webhooks"):
        assert f'id="chart-{canvas}"' in html
    # Local files only, and nothing inline that a strict CSP would block.
    assert "/static/payments/vendor/chart.umd.min.js" in html
    assert "http://" not in html.split("<body")[0]
    assert "https://" not in html.split("<body")[0]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs, _ in scripts)
    assert " style=" not in html.split('<div id="payments-dashboard">')[1]


def test_dashboard_needs_view_permission(client: Client, world: AdminWorld) -> None:
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.create_user(username="clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:payments_dashboard")).status_code == 403
