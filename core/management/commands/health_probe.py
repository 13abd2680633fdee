"""``manage.py health_probe worker|beat``: exit 0 when that heartbeat is fresh (Docker checks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.observability.heartbeats import BEAT_KEY, WORKER_KEY, heartbeat_age, heartbeat_interval

KEYS = {"worker": WORKER_KEY, "beat": BEAT_KEY}


class Command(BaseCommand):
    help = "Exit 0 when the worker's (or beat's) heartbeat is at most three intervals old."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("component", choices=sorted(KEYS))

    def handle(self, *args: Any, **options: Any) -> None:
        component: str = options["component"]
        age = heartbeat_age(key=KEYS[component])
        limit = heartbeat_interval() * 3
        if age is None:
            raise CommandError(f"no {component} heartbeat")
        if age > limit:
            raise CommandError(f"{component} heartbeat is {age:.0f} s old (> {limit:.0f} s)")
        self.stdout.write(f"{component} ok ({age:.0f} s)")
