"""``manage.py run_worker``: the local stack's restart policy for the Celery worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.tests.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads child processes from /proc (Linux)"
)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def test_a_worker_that_dies_is_started_again_and_sigterm_ends_both(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DB_NAME"}
    }
    # The filesystem broker: no server needed for this test.
    env |= {
        "DJANGO_SETTINGS_MODULE": "core.settings.testing",
        "CELERY_QUEUE_DIR": str(tmp_path / "queue"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "run_worker.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_worker",
                "--max-delay",
                "1",
                "--",
                "--pool",
                "solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: bool(children(supervisor.pid)), 30, "the worker", log)
        (first,) = children(supervisor.pid)
        wait_for(lambda: b"ready." in log.read_bytes(), 60, "the worker to be ready", log)

        os.kill(first, signal.SIGKILL)  # a worker that dies on its own (as in a Redis outage)

        wait_for(
            lambda: bool(children(supervisor.pid)) and children(supervisor.pid) != [first],
            30,
            "a new worker",
            log,
        )
        (second,) = children(supervisor.pid)
        assert supervisor.poll() is None
        assert "starting it again" in log.read_text()

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
        assert (
            not Path(f"/proc/{second}").exists()
            or "zombie" in Path(f"/proc/{second}/status").read_text()
        )
        assert "Traceback" not in log.read_text()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
