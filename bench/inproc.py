"""``python -m bench inproc``: what a request costs inside one process, without gunicorn or wrk.

The harness's endpoints (GET and the webhook; not the booking, which writes and calls Asaas)
are called through ``bench.wsgi`` in a loop, the product's stack and the floor one after the
other, after a warm-up. Printed per request: the process's CPU time, PostgreSQL's (every
``postgres`` process, read from ``/proc``) and the wall time. On a shared 2-core machine a
wrk round moves ±10 % from one round to the next; these figures repeat within a few per cent,
which is what an A/B of a change worth 5 % needs. Run it once per version (a checkout of
each) on the same data set.
"""

from __future__ import annotations

import io
import itertools
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datasets import BENCH_USERNAME, Dataset, app_env

#: What one request of a stack is, as ``bench.wsgi`` takes it.
Call = Callable[[], tuple[str, bytes]]


@dataclass(frozen=True)
class Cost:
    """Microseconds per request: this process's CPU, PostgreSQL's CPU and the wall time."""

    app: float
    database: float
    wall: float

    @property
    def cpu(self) -> float:
        return self.app + self.database


def postgres_cpu_seconds(proc: Path = Path("/proc")) -> float:
    """CPU seconds (user + system) of every process named ``postgres*`` so far; 0 without
    ``/proc``. Processes that come and go between two readings are not counted."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("postgres"):
            fields = text[text.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def environ(
    method: str, path: str, *, headers: dict[str, str], body: bytes = b""
) -> dict[str, Any]:
    """A WSGI environ as gunicorn builds it for a request to 127.0.0.1."""
    path_info, _, query = path.partition("?")
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "*/*",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def caller(application: Any, build: Callable[[], dict[str, Any]]) -> Call:
    """One request through ``application``: its status line and body."""

    def call() -> tuple[str, bytes]:
        status: list[str] = []
        result = application(build(), lambda line, headers, exc_info=None: status.append(line))
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return status[0], body

    return call


def measure(call: Call, requests: int) -> Cost:
    """The cost of ``requests`` calls, per call."""
    database = postgres_cpu_seconds()
    cpu = time.process_time()
    wall = time.perf_counter()
    for _ in range(requests):
        call()
    return Cost(
        app=1e6 * (time.process_time() - cpu) / requests,
        database=1e6 * (postgres_cpu_seconds() - database) / requests,
        wall=1e6 * (time.perf_counter() - wall) / requests,
    )


def warm(call: Call, requests: int, what: str) -> None:
    """``requests`` calls; a first answer that is not a 2xx stops the run, with its body."""
    status, body = call()
    if not status.startswith("2"):
        raise SystemExit(f"{what}: {status}\n{body[:500]!r}")
    for _ in range(requests - 1):
        call()


def webhook_body(prefix: str, counter: Iterable[int]) -> Callable[[], bytes]:
    """A new event id per call, as the harness's wrk script sends."""
    numbers = iter(counter)

    def body() -> bytes:
        return (
            f'{{"id":"evt_{prefix}_{next(numbers)}","event":"PAYMENT_UPDATED",'
            f'"payment":{{"id":"pay_bench_unknown_{prefix}","status":"PENDING","value":100.0}}}}'
        ).encode()

    return body


def builder(method: str, path: str, *, token: str, events: str) -> Callable[[], dict[str, Any]]:
    """The environ of each request: a GET with the token (none for the floor), or the webhook
    with the harness's token and a new event id (``events``: their prefix) each time."""
    if method == "POST":
        from .runner import WEBHOOK_TOKEN

        body = webhook_body(events, itertools.count())
        webhook_headers = {"asaas-access-token": WEBHOOK_TOKEN}
        return lambda: environ("POST", path, headers=webhook_headers, body=body())
    get_headers = {"authorization": f"Bearer {token}"} if token else {}
    return lambda: environ("GET", path, headers=get_headers)


def run(dataset: Dataset, only: str | None, requests: int, rounds: int) -> int:
    """Measure the endpoints named by ``only`` on ``dataset``: per endpoint and stack, the round
    whose CPU is the median of ``rounds`` and, as the harness's "÷ floor" of rps, the floor's
    CPU per request over the stack's."""
    from .runner import REDIS_URL_DEFAULT, WEBHOOK_TOKEN, endpoints_named, ids_pick, redis_flush

    redis_url = os.environ.get("BENCH_REDIS_URL", REDIS_URL_DEFAULT)
    # The cache holds the other set's user snapshots under the same ids: start afresh.
    redis_flush(redis_url)
    os.environ.update(
        app_env(dataset.database, REDIS_URL=redis_url, ASAAS_WEBHOOK_TOKEN=WEBHOOK_TOKEN)
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    from .wsgi import application

    ids = ids_pick(dataset)
    token = str(AccessToken.for_user(get_user_model().objects.get(username=BENCH_USERNAME)))
    prefix = secrets.token_hex(4)
    print(
        f"{'endpoint':<40} {'stack':<6} {'app µs':>8} {'pg µs':>7} {'wall µs':>8}"
        f" {'÷ floor (CPU)':>16}"
    )
    for endpoint in endpoints_named(only):
        if endpoint.method == "POST" and not endpoint.name.startswith("POST webhook"):
            continue  # the booking writes rows and calls Asaas: measured by `run` only
        stacks = {"ours": endpoint.path, "floor": endpoint.floor}
        calls: dict[str, Call] = {}
        for stack, template in stacks.items():
            if template is None:
                continue
            path = template.format(pro=ids.pro, appointment=ids.appointment, patient=ids.patient)
            build = builder(
                endpoint.method,
                path,
                token="" if stack == "floor" else token,
                events=f"{prefix}{stack}",
            )
            calls[stack] = caller(application, build)
            warm(calls[stack], max(requests // 10, 20), f"{endpoint.name} ({stack})")
        costs: dict[str, list[Cost]] = {stack: [] for stack in calls}
        for _round in range(rounds):
            for stack, call in calls.items():
                costs[stack].append(measure(call, requests))
        floor = _median(costs["floor"]) if "floor" in costs else None
        for stack, measured in costs.items():
            cost = _median(measured)
            # As the harness's "÷ floor" of rps: the floor's CPU per request over this stack's.
            ratio = f"{floor.cpu / cost.cpu:.2f}" if floor is not None and cost.cpu else ""
            print(
                f"{endpoint.name:<40} {stack:<6} {cost.app:>8.0f} {cost.database:>7.0f}"
                f" {cost.wall:>8.0f} {ratio:>16}",
                flush=True,
            )
    return 0


def _median(costs: list[Cost]) -> Cost:
    """The round whose CPU is the median."""
    ordered = sorted(costs, key=lambda cost: cost.cpu)
    return ordered[len(ordered) // 2]
