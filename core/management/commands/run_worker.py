"""``python manage.py run_worker [celery worker options]``: a Celery worker started again when
it exits on its own.

A worker can end on its own (an out-of-memory kill, a fault of a library; until
``core.celery`` worked around it, kombu's Redis transport failing on a Redis outage with
``'NoneType' object has no attribute 'hostname'``). Docker's restart policy brings it back in
the compose stack; the local stack (``setup.sh`` → honcho) would instead stop everything.
This command is that restart policy: the worker runs in
a session of its own (so a Ctrl+C reaches it once, forwarded from here, not twice from the
terminal); SIGINT/SIGTERM are passed on and end both; any other exit starts it again after a
pause that grows up to ``--max-delay`` seconds.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

logger = logging.getLogger("core.run_worker")


class Command(BaseCommand):
    help = (
        "Runs `celery -A core worker` with the given options and starts it again when it exits "
        "on its own (SIGINT/SIGTERM end it for good)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-delay", type=float, default=30.0)
        parser.add_argument("celery_args", nargs="*", help="options for `celery worker`")

    def handle(self, *args: Any, **options: Any) -> None:
        command = [sys.executable, "-m", "celery", "-A", "core", "worker", *options["celery_args"]]
        stopping = False
        child: subprocess.Popen[bytes] | None = None

        def forward(signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            if child is not None and child.poll() is None:
                child.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        delay = 1.0
        while not stopping:
            started = time.monotonic()
            child = subprocess.Popen(command, start_new_session=True)  # noqa: S603
            code = child.wait()
            if stopping or code == 0:
                break
            if time.monotonic() - started > 60:
                delay = 1.0  # it had been running fine: this is a new incident
            logger.warning(
                "celery worker exited with code %s: starting it again in %.0f s", code, delay
            )
            deadline = time.monotonic() + delay
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
            delay = min(delay * 2, options["max_delay"])
        if child is not None and child.poll() is None:
            child.wait()
