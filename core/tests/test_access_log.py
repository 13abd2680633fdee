"""No personal data in the access logs of real server runs (gunicorn with the project's
``gunicorn.conf.py``, and ``manage.py runserver``): a search by CPF or name leaves the path only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
CPF = "529.982.247-25"
NAME = "Maria%20Oliveira"
SECRET_QUERIES = (f"search={CPF}", f"search={NAME}", "email=maria%40example.com")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env() -> dict[str, str]:
    """The test database (migrated by pytest-django): runserver checks migrations on start."""
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "core.settings.testing",
        "MEDICAL_API_DB_NOTICE_SHOWN": "1",
        "PYTHONUNBUFFERED": "1",
    }


def hit(base: str, paths: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}/health/", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    for path in paths:
        # Anonymous: 401, and the line is logged all the same.
        with pytest.raises(urllib.error.HTTPError, match="401"):
            urllib.request.urlopen(f"{base}{path}", timeout=5)


def requested_paths() -> list[str]:
    return [f"/api/patients/?{query}" for query in SECRET_QUERIES]


def assert_clean(log: str) -> None:
    assert log.count("/api/patients/") >= len(SECRET_QUERIES), log
    for needle in (CPF, "52998224725", "Maria", "Oliveira", "maria", "example.com", "search"):
        assert needle not in log, (needle, log)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_gunicorn_access_log_has_paths_without_query_strings(tmp_path: Path) -> None:
    port = free_port()
    access_log = tmp_path / "access.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # Like the Dockerfile/compose/run_tests.sh command: the project's config file, access log
    # to a file here so the test reads exactly what the server wrote.
    process = subprocess.Popen(
        [
            str(gunicorn),
            "core.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access_log),
        ],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        hit(f"http://127.0.0.1:{port}", requested_paths())
        time.sleep(0.5)
    finally:
        stop(process)
    log = access_log.read_text()
    assert '"GET /api/patients/ HTTP/1.1" 401' in log, log
    assert_clean(log)


def test_runserver_access_log_has_paths_without_query_strings(tmp_path: Path) -> None:
    port = free_port()
    output = tmp_path / "runserver.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=server_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            hit(f"http://127.0.0.1:{port}", requested_paths())
            time.sleep(0.5)
        finally:
            stop(process)
    log = output.read_text()
    assert '"GET /api/patients/ HTTP/1.1" 401' in log, log
    assert_clean(log)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"GET /api/patients/?search=529.982.247-25 HTTP/1.1" 200',
            '"GET /api/patients/ HTTP/1.1" 200',
        ),
        ("Not Found: /api/x/?q=Maria", "Not Found: /api/x/"),
        ("no url here", "no url here"),
    ],
)
@pytest.mark.django_db(databases=[])
def test_redaction_of_query_strings(line: str, expected: str) -> None:
    from core.logging import redact_query_strings

    assert redact_query_strings(line) == expected
