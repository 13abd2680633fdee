"""The admin dashboard and the API docs in a real headless Chromium: charts drawn, no request
to another host, no console error, the JWT scheme first in Swagger's Authorize dialog."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from payments.tests.admin_world import LABEL, make_admin_world

from .conftest import Browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHARTS = ("charges", "paid-volume", "split", "failures", "webhooks")


def wait_for(browser: Browser, css: str, timeout: float = 20) -> Any:
    return WebDriverWait(browser.driver, timeout).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def admin_login(browser: Browser) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("operadora", "op@example.com", "senha-forte-123")
    browser.get("/admin/login/")
    browser.driver.find_element(By.NAME, "username").send_keys("operadora")
    browser.driver.find_element(By.NAME, "password").send_keys("senha-forte-123")
    browser.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, "#site-name")


def test_payments_dashboard_draws_its_charts(browser: Browser) -> None:
    world = make_admin_world()
    admin_login(browser)
    assert "Medical API" in browser.driver.find_element(By.ID, "site-name").text
    browser.requested_urls()  # start counting from the dashboard

    browser.get("/admin/payments/paymenttransaction/dashboard/")
    wait_for(browser, "#payments-dashboard[data-ready='true']")
    assert browser.driver.title == "Painel de pagamentos | Medical API"
    for name in CHARTS:
        drawn = browser.driver.execute_script(
            """
            const canvas = document.getElementById(arguments[0]);
            const chart = window.Chart.getChart(canvas);
            const pixels = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
            return {
                datasets: chart.data.datasets.length,
                points: chart.data.datasets[0].data.length,
                width: canvas.clientWidth, height: canvas.clientHeight, painted: painted,
            };
            """,
            f"chart-{name}",
        )
        assert drawn["datasets"] >= 1, name
        assert drawn["width"] > 200, (name, drawn)
        assert drawn["height"] > 100, (name, drawn)
        assert drawn["painted"] > 2000, (name, drawn)  # bars/lines/axes were drawn
        if name != "webhooks":
            assert drawn["points"] == 14, (name, drawn)
    # The money axis uses the one format.
    tick = browser.driver.execute_script(
        "const c = Chart.getChart(document.getElementById('chart-paid-volume'));"
        "return c.scales.y.ticks.map(t => t.label).slice(-1)[0];"
    )
    assert tick.startswith("R$ "), tick
    # 19 paid at R$ 150,00 and one at R$ 1.234,56 (make_admin_world).
    summary = browser.driver.find_element(By.CLASS_NAME, "dashboard-summary").text
    assert "valor pago R$ 4.084,56" in summary, summary
    assert browser.external_requests() == []
    assert browser.console_errors() == []
    browser.screenshot("admin-payments-dashboard")

    browser.get(f"/admin/appointments/appointment/{world.paid.pk}/change/")
    wait_for(browser, ".breadcrumbs")
    assert browser.driver.title.startswith(LABEL)
    assert LABEL in browser.driver.find_element(By.CLASS_NAME, "breadcrumbs").text
    browser.screenshot("admin-appointment")
    browser.get("/admin/payments/paymenttransaction/")
    wait_for(browser, "#result_list")
    assert "R$ 1.234,56" in browser.driver.find_element(By.ID, "result_list").text
    browser.screenshot("admin-transactions")


def test_swagger_offers_the_jwt_first_and_stays_local(browser: Browser) -> None:
    browser.get("/api/docs/")
    wait_for(browser, ".swagger-ui .btn.authorize").click()
    wait_for(browser, ".modal-ux .auth-container")
    schemes = [
        element.text
        for element in browser.driver.find_elements(By.CSS_SELECTOR, ".auth-container h4")
    ]
    assert schemes, "the Authorize dialog lists the schemes"
    assert schemes[0].startswith("jwtAuth"), schemes
    assert "Bearer" in schemes[0]
    browser.screenshot("swagger-authorize")
    assert browser.external_requests() == []
    assert browser.console_errors() == []


def test_redoc_renders_with_a_local_logo(browser: Browser) -> None:
    browser.get("/api/redoc/")
    wait_for(browser, ".menu-content", timeout=30)
    logo = browser.driver.find_element(By.CSS_SELECTOR, "img[alt='redocly logo']")
    assert logo.get_attribute("src").endswith("/static/core/docs/redoc-logo-mini.svg")
    assert browser.driver.execute_script("return arguments[0].naturalWidth", logo) > 0
    assert "Medical API" in browser.driver.find_element(By.TAG_NAME, "h1").text
    browser.screenshot("redoc")
    assert browser.external_requests() == []
    assert browser.console_errors() == []
