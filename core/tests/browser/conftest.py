"""A real headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by Selenium.

Tests marked ``browser`` are skipped when Chromium or its driver is missing, and fail instead
under ``CI=true`` (``.ci/run`` installs both). Screenshots go to ``artifacts/screenshots/``
(ignored by git), kept after the run for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "artifacts" / "screenshots"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _binaries() -> tuple[str | None, str | None]:
    browser = next(
        (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
    )
    return browser, shutil.which("chromedriver")


class Browser:
    """The driver plus what the tests ask of it: every request the page made, console errors."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def get(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def requested_urls(self) -> list[str]:
        """Every URL the browser asked for since the last call (from the DevTools log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def external_requests(self) -> list[str]:
        own = urlparse(self.base_url).netloc
        return [
            url
            for url in self.requested_urls()
            if urlparse(url).scheme in {"http", "https", "ws", "wss"}
            and urlparse(url).netloc != own
        ]

    def console_errors(self) -> list[str]:
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
        ]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        return path


@pytest.fixture
def browser(live_server: Any) -> Iterator[Browser]:
    browser_path, driver_path = _binaries()
    if not (browser_path and driver_path):
        message = "needs Debian's chromium and chromium-driver (apt-get install them)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=pt-BR",
        # No traffic of Chromium's own (updates, safe browsing...): only the pages' requests.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield Browser(driver, live_server.url)
    finally:
        driver.quit()
