"""The benchmark run: gunicorn stacks, wrk against every endpoint, the table and the JSON.

For each data set: start gunicorn (bench settings = production settings + the floor + the SQL
counter) for our code and, with ``--compare-ref``, for the code of that git ref (a temporary
``git worktree``); then endpoint by endpoint, round by round, measure each stack in turn (ours,
floor, before), so that the machine's noise hits them alike. Figures are the median of the
rounds. Every stack is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from chaos.procs import Child

from . import sqlcount, wrk
from .datasets import (
    BENCH_PASSWORD,
    BENCH_USERNAME,
    ROOT,
    Dataset,
    app_env,
    database_appointments,
    database_url,
    dataset_migrate,
)

REDIS_URL_DEFAULT = "redis://127.0.0.1:6379/6"
WEBHOOK_TOKEN = "bench-webhook-token-" + "0" * 24
EMULATOR_KEY = "$aact_hmlg_emulator_root_key"
#: Bookings of the harness go from this Monday on (after anything the loader wrote).
BOOKING_FIRST_MONDAY = dt.date(2031, 1, 6)
#: List endpoints compared across data sets (p99 at 1M ÷ p99 at 10k).
LIST_KIND = "list"


@dataclass(frozen=True)
class RunOptions:
    sets: list[Dataset]
    rounds: int
    seconds: int
    warmup: int
    connections: int
    workers: int
    compare_ref: str | None
    asaas_latency: bool
    only: str | None
    port: int
    json_path: Path

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        quick = bool(args.quick)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return cls(
            sets=list(args.sets),
            rounds=args.rounds or (1 if quick else 3),
            seconds=args.duration or (5 if quick else 10),
            warmup=args.warmup,
            connections=args.connections,
            workers=args.workers,
            compare_ref=args.compare_ref,
            asaas_latency=bool(args.asaas_latency),
            only=args.only,
            port=args.port,
            json_path=Path(args.json or ROOT / "var" / "bench" / f"results-{stamp}.json"),
        )


@dataclass(frozen=True)
class Endpoint:
    name: str
    kind: str  # "list", "detail", "write"
    path: str  # with {pro}, {appointment}, {patient} placeholders
    floor: str | None = None
    method: str = "GET"


ENDPOINTS = (
    Endpoint("professionals", LIST_KIND, "/api/professionals/", "/floor/professionals/"),
    Endpoint(
        "professionals?search=Ana",
        LIST_KIND,
        "/api/professionals/?search=Ana",
        "/floor/professionals/?search=Ana",
    ),
    Endpoint(
        "professionals/ID", "detail", "/api/professionals/{pro}/", "/floor/professionals/{pro}/"
    ),
    Endpoint("appointments", LIST_KIND, "/api/appointments/", "/floor/appointments/"),
    Endpoint(
        "appointments?professional",
        LIST_KIND,
        "/api/appointments/?professional={pro}",
        "/floor/appointments/?professional={pro}",
    ),
    Endpoint(
        "appointments?professional&1 year",
        LIST_KIND,
        "/api/appointments/?professional={pro}&start_date=2025-01-01&end_date=2025-12-31",
        "/floor/appointments/?professional={pro}&start_date=2025-01-01&end_date=2025-12-31",
    ),
    Endpoint(
        "appointments?1 month",
        LIST_KIND,
        "/api/appointments/?start_date=2025-03-01&end_date=2025-03-31",
        "/floor/appointments/?start_date=2025-03-01&end_date=2025-03-31",
    ),
    # The "date range of 580,000 rows": three of the agenda's five years (602,349
    # appointments at 1,000,000; 6,021 at 10,000).
    Endpoint(
        "appointments?3 years",
        LIST_KIND,
        "/api/appointments/?start_date=2023-01-01&end_date=2025-12-31",
        "/floor/appointments/?start_date=2023-01-01&end_date=2025-12-31",
    ),
    Endpoint(
        "appointments/ID",
        "detail",
        "/api/appointments/{appointment}/",
        "/floor/appointments/{appointment}/",
    ),
    Endpoint(
        "appointments/ID/payment_status",
        "detail",
        "/api/appointments/{appointment}/payment_status/",
    ),
    Endpoint(
        "appointments/ID/booking_events",
        "detail",
        "/api/appointments/{appointment}/booking_events/",
    ),
    Endpoint("patients", LIST_KIND, "/api/patients/", "/floor/patients/"),
    Endpoint("patients?search=Silva", LIST_KIND, "/api/patients/?search=Silva"),
    Endpoint("patients/ID", "detail", "/api/patients/{patient}/", "/floor/patients/{patient}/"),
    Endpoint(
        "professionals/ID/working_hours", LIST_KIND, "/api/professionals/{pro}/working_hours/"
    ),
    Endpoint(
        "professionals/ID/schedule_exceptions",
        LIST_KIND,
        "/api/professionals/{pro}/schedule_exceptions/",
    ),
    Endpoint(
        "professionals/ID/availability (1 week)",
        "detail",
        "/api/professionals/{pro}/availability/?start=2026-12-07&end=2026-12-11",
    ),
    # A paginated list (of the professionals free that day): in the p99 table too.
    Endpoint("availability?date (all)", LIST_KIND, "/api/availability/?date=2026-12-09"),
    # The same search, a page of 10: both sets then answer 10 professionals (the 10k set has
    # only 10, so its page of 20 holds half the rows of the 1M set's): what p99 1M ÷ 10k
    # measures here is the table's size alone.
    Endpoint(
        "availability?date (10 per page)",
        LIST_KIND,
        "/api/availability/?date=2026-12-09&page_size=10",
    ),
    Endpoint("payments/metrics", "detail", "/api/payments/metrics/"),
    Endpoint("POST appointments (booking)", "write", "/api/appointments/", None, "POST"),
    Endpoint(
        "POST webhook (new event)",
        "write",
        "/api/payments/webhooks/asaas/",
        "/floor/webhook/",
        "POST",
    ),
)


# --- processes ----------------------------------------------------------------------------
# Long-running children (own session, log file, SIGTERM then SIGKILL): the campaign's Child.
Process = Child


def _wait(probe: Any, *, timeout: float, what: str, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            raise RuntimeError(f"{what} exited:\n{process.tail()}")
        with contextlib.suppress(requests.RequestException):
            if probe():
                return
        time.sleep(0.3)
    raise RuntimeError(f"timed out waiting for {what}")


@dataclass
class Stack:
    """One gunicorn serving one code tree (ours, or the ``--compare-ref`` one)."""

    name: str
    root: Path
    port: int
    env: dict[str, str]
    workers: int
    workdir: Path
    process: Process | None = None
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = Process(
            f"gunicorn-{self.name}",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.wsgi:application",
                "-c",
                "gunicorn.conf.py",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--access-logfile",
                str(self.workdir / f"access-{self.name}.log"),
                # Its own control socket (the default path is shared by every gunicorn here).
                "--control-socket",
                str(self.workdir / f"gunicorn-{self.name}.ctl"),
            ],
            env=self.env,
            log=self.workdir / f"gunicorn-{self.name}.log",
            cwd=self.root,
        )
        self.process.start()
        # Generous: five workers importing Django on a busy 2-core machine take a while.
        _wait(
            lambda: requests.get(f"{self.url}/health/", timeout=15).status_code == 200,
            timeout=240,
            what=f"gunicorn ({self.name})",
            process=self.process,
        )
        response = requests.post(
            f"{self.url}/api/auth/token/",
            json={"username": BENCH_USERNAME, "password": BENCH_PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        self.token = str(response.json()["access"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


# --- the data the URLs name ---------------------------------------------------------------
@dataclass(frozen=True)
class Ids:
    pro: int
    appointment: int
    patient: int
    booking_professionals: list[int]


def ids_pick(dataset: Dataset) -> Ids:
    """A professional in the middle of the list, one of its paid appointments and patient,
    and the professionals with a 30-minute grid (the bookings go to them)."""
    with psycopg.connect(database_url(dataset.database)) as conn:
        pros = [
            row[0] for row in conn.execute("SELECT id FROM professionals_professional ORDER BY id")
        ]
        pro = pros[len(pros) // 2]
        row = conn.execute(
            "SELECT id, patient_id FROM appointments_appointment "
            "WHERE professional_id = %s AND status = 'PAID' ORDER BY date LIMIT 1",
            [pro],
        ).fetchone()
        if row is None:
            raise RuntimeError("no paid appointment to measure: is the data set loaded?")
        grid = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT professional_id FROM professionals_workinghoursrule "
                "WHERE slot_minutes = 30 ORDER BY professional_id"
            )
        ]
    return Ids(pro=pro, appointment=row[0], patient=row[1], booking_professionals=grid)


def booking_start(dataset: Dataset) -> int:
    """The first Monday free for the harness's bookings, as wrk's Lua wants it (local midnight
    written as a UTC epoch)."""
    with psycopg.connect(database_url(dataset.database)) as conn:
        row = conn.execute(
            "SELECT max(date AT TIME ZONE 'America/Sao_Paulo')::date FROM appointments_appointment "
            "WHERE date >= %s",
            [dt.datetime.combine(BOOKING_FIRST_MONDAY, dt.time(), dt.UTC)],
        ).fetchone()
    last = row[0] if row and row[0] else None
    day = BOOKING_FIRST_MONDAY if last is None else last + dt.timedelta(days=1)
    day += dt.timedelta(days=(7 - day.weekday()) % 7)
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


# --- measuring ----------------------------------------------------------------------------
@dataclass
class Measure:
    rounds: list[dict[str, Any]] = field(default_factory=list)
    sql: str | None = None
    sql_detail: str | None = None
    status: int | None = None

    def median(self, key: str) -> float:
        values = [r[key] for r in self.rounds if not math.isnan(r[key])]
        return statistics.median(values) if values else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "rps": self.median("rps"),
            "p50_ms": self.median("p50_ms"),
            "p99_ms": self.median("p99_ms"),
            "sql_per_request": self.sql,
            "sql_detail": self.sql_detail,
            "first_status": self.status,
            "non_2xx": sum(r["non_2xx"] for r in self.rounds),
            "conflicts_409": sum(r.get("conflicts") or 0 for r in self.rounds),
            "requests": sum(r["requests"] for r in self.rounds),
            "rounds": self.rounds,
        }


class Bench:
    def __init__(self, options: RunOptions, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.scripts = {
            "get": workdir / "get.lua",
            "webhook": workdir / "webhook.lua",
            "booking": workdir / "booking.lua",
        }
        self.scripts["get"].write_text(wrk.GET_LUA)
        self.scripts["webhook"].write_text(wrk.WEBHOOK_LUA)
        self.scripts["booking"].write_text(wrk.BOOKING_LUA)
        self.prefix = secrets.token_hex(4)

    def _url(self, stack: Stack, path: str, ids: Ids) -> str:
        return stack.url + path.format(
            pro=ids.pro, appointment=ids.appointment, patient=ids.patient
        )

    def first_request(
        self, stack: Stack, endpoint: Endpoint, path: str, ids: Ids, dataset: Dataset, floor: bool
    ) -> requests.Response:
        url = self._url(stack, path, ids)
        count = {sqlcount.ASK_HEADER: "1"}
        auth = {"Authorization": f"Bearer {stack.token}", **count}
        if endpoint.name.startswith("POST webhook"):
            body = {
                "id": f"evt_{self.prefix}_first_{secrets.token_hex(4)}",
                "event": "PAYMENT_UPDATED",
                "payment": {"id": f"pay_bench_unknown_{self.prefix}", "status": "PENDING"},
            }
            return requests.post(
                url, json=body, headers={"asaas-access-token": WEBHOOK_TOKEN, **count}, timeout=60
            )
        if endpoint.method == "POST":  # booking: slot 0 of the grid, which wrk leaves free
            start = dt.datetime.fromtimestamp(booking_start(dataset), dt.UTC)
            date = start.replace(hour=8).strftime("%Y-%m-%dT%H:%M:00-03:00")
            booking: dict[str, Any] = {
                "professional": ids.booking_professionals[0],
                "date": date,
                "duration_minutes": 30,
                "patient": ids.patient,
                "total_amount": "200.00",
            }
            return requests.post(url, json=booking, headers=auth, timeout=60)
        return requests.get(url, headers=count if floor else auth, timeout=60)

    def wrk_once(
        self, stack: Stack, endpoint: Endpoint, path: str, ids: Ids, dataset: Dataset, seconds: int
    ) -> wrk.WrkResult:
        url = self._url(stack, path, ids)
        headers = {"Authorization": f"Bearer {stack.token}"}
        if endpoint.name.startswith("POST webhook"):
            return wrk.run(
                url,
                script=self.scripts["webhook"],
                seconds=seconds,
                connections=self.options.connections,
                headers={},
                script_args=[f"{self.prefix}{secrets.token_hex(3)}", WEBHOOK_TOKEN],
            )
        if endpoint.method == "POST":
            return wrk.run(
                url,
                script=self.scripts["booking"],
                seconds=seconds,
                connections=self.options.connections,
                headers={},
                script_args=[
                    stack.token,
                    str(booking_start(dataset)),
                    str(wrk.THREADS),
                    ",".join(map(str, ids.booking_professionals)),
                    str(ids.patient),
                ],
            )
        return wrk.run(
            url,
            script=self.scripts["get"],
            seconds=seconds,
            connections=self.options.connections,
            headers={} if path.startswith("/floor/") else headers,
        )

    def measure(
        self, stack: Stack, endpoint: Endpoint, path: str, ids: Ids, dataset: Dataset, into: Measure
    ) -> None:
        floor = path.startswith("/floor/")
        if self.options.warmup:
            self.wrk_once(stack, endpoint, path, ids, dataset, self.options.warmup)
        if into.sql is None:
            response = self.first_request(stack, endpoint, path, ids, dataset, floor)
            into.status = response.status_code
            into.sql = response.headers.get("X-Bench-SQL")
            into.sql_detail = response.headers.get("X-Bench-SQL-Detail")
        result = self.wrk_once(stack, endpoint, path, ids, dataset, self.options.seconds)
        into.rounds.append({**asdict(result), "non_2xx": result.non_2xx})


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def ref_tree(ref: str, workdir: Path) -> Iterator[Path]:
    """The code of git ``ref`` in a temporary worktree, with the harness copied in."""
    target = workdir / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(target), ref], cwd=ROOT, check=True)
    try:
        shutil.rmtree(target / "bench", ignore_errors=True)
        shutil.copytree(ROOT / "bench", target / "bench", ignore=shutil.ignore_patterns("tests"))
        shutil.copy2(ROOT / "core" / "settings" / "bench.py", target / "core" / "settings")
        yield target
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(target)], cwd=ROOT, check=False)


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def table(results: dict[str, Any], stacks: list[str]) -> str:
    lines = []
    header = (
        f"{'endpoint':40} {'stack':7} {'rps':>9} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'SQL/req':>7} {'÷ floor':>8} {'non-2xx':>8}"
    )
    for key, data in results["datasets"].items():
        lines.append("")
        lines.append(f"== {key}: {data['appointments']:,} consultas ({data['description']})")
        lines.append(header)
        for name, per_stack in data["endpoints"].items():
            floor = per_stack.get("floor")
            floor_rps = floor["rps"] if floor else None
            first = True
            for stack in [*stacks, "floor"]:
                entry = per_stack.get(stack)
                if entry is None:
                    continue
                ratio = entry["rps"] / floor_rps if floor_rps else None
                non2xx = entry["non_2xx"]
                conflicts = entry["conflicts_409"]
                lines.append(
                    f"{(name if first else ''):40} {stack:7} {_fmt(entry['rps']):>9} "
                    f"{_fmt(entry['p50_ms'], 2):>9} {_fmt(entry['p99_ms'], 2):>9} "
                    f"{entry['sql_per_request'] or '—':>7} {_fmt(ratio, 2):>8} "
                    f"{(f'{non2xx} ({conflicts} 409)' if conflicts else str(non2xx)):>8}"
                )
                first = False
    keys = list(results["datasets"])
    if "1m" in keys and "10k" in keys:
        lines.append("")
        lines.append("== p99 a 1.000.000 ÷ p99 a 10.000 (endpoints de lista)")
        lines.append(f"{'endpoint':40} " + " ".join(f"{s:>8}" for s in [*stacks, "floor"]))
        big, small = results["datasets"]["1m"]["endpoints"], results["datasets"]["10k"]["endpoints"]
        for name, per_stack in big.items():
            if per_stack.get("kind") != LIST_KIND or name not in small:
                continue
            cells = []
            for stack in [*stacks, "floor"]:
                a, b = per_stack.get(stack), small[name].get(stack)
                cells.append(_fmt(a["p99_ms"] / b["p99_ms"], 2) if a and b and b["p99_ms"] else "—")
            lines.append(f"{name:40} " + " ".join(f"{c:>8}" for c in cells))
    if results.get("asaas_latency"):
        lines.append("")
        lines.append("== agendamento (POST) com o emulador do Asaas e um worker Celery")
        for label, entry in results["asaas_latency"].items():
            lines.append(
                f"{label:40} rps {_fmt(entry['rps'])}  p50 {_fmt(entry['p50_ms'], 2)} ms  "
                f"p99 {_fmt(entry['p99_ms'], 2)} ms  non-2xx {entry['non_2xx']}"
            )
    return "\n".join(lines)


def _save(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))


def endpoints_named(only: str | None) -> list[Endpoint]:
    """The endpoints whose name contains ``only`` or, comma-separated, one of its parts."""
    if not only:
        return list(ENDPOINTS)
    parts = [part for part in only.split(",") if part]
    return [e for e in ENDPOINTS if any(part in e.name for part in parts)]


def run(options: RunOptions) -> int:
    wrk.binary()  # says how to install it when missing
    for dataset in options.sets:
        if not database_appointments(dataset.database):
            raise SystemExit(
                f"O banco {dataset.database} está vazio: rode `python -m bench load` "
                "(ou `python -m bench all`)."
            )
        dataset_migrate(dataset)
    workdir = Path(tempfile.mkdtemp(prefix="medical-api-bench-"))
    redis_url = os.environ.get("BENCH_REDIS_URL", REDIS_URL_DEFAULT)
    endpoints = endpoints_named(options.only)
    bench = Bench(options, workdir)
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "git_head": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "compare_ref": options.compare_ref,
        "options": {
            "rounds": options.rounds,
            "seconds": options.seconds,
            "warmup": options.warmup,
            "connections": options.connections,
            "workers": options.workers,
            "wrk_threads": wrk.THREADS,
        },
        "datasets": {},
    }
    stack_names = ["ours"] + (["before"] if options.compare_ref else [])
    with contextlib.ExitStack() as cleanup:
        before_root = (
            cleanup.enter_context(ref_tree(options.compare_ref, workdir))
            if options.compare_ref
            else None
        )
        for dataset in options.sets:
            redis_flush(redis_url)
            env = app_env(
                dataset.database,
                REDIS_URL=redis_url,
                ASAAS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
                ASAAS_API_KEY=EMULATOR_KEY,
                ASAAS_API_URL=f"http://127.0.0.1:{options.port + 9}/v3",
            )
            stacks: dict[str, Stack] = {
                "ours": Stack("ours", ROOT, options.port, env, options.workers, workdir)
            }
            if before_root is not None:
                stacks["before"] = Stack(
                    "before", before_root, options.port + 1, env, options.workers, workdir
                )
            for stack in stacks.values():
                cleanup.callback(stack.stop)
                stack.start()
            ids = ids_pick(dataset)
            print(
                f"\n[{dataset.key}] {dataset.appointments:,} consultas; profissional {ids.pro}, "
                f"consulta {ids.appointment}, paciente {ids.patient}",
                flush=True,
            )
            per_endpoint: dict[str, dict[str, Any]] = {}
            for endpoint in endpoints:
                measures = {name: Measure() for name in [*stacks, "floor"]}
                for _ in range(options.rounds):
                    for name, stack in stacks.items():
                        bench.measure(stack, endpoint, endpoint.path, ids, dataset, measures[name])
                        if name == "ours" and endpoint.floor:
                            bench.measure(
                                stack, endpoint, endpoint.floor, ids, dataset, measures["floor"]
                            )
                entry: dict[str, Any] = {"kind": endpoint.kind, "path": endpoint.path}
                for name, measure in measures.items():
                    if measure.rounds:
                        entry[name] = measure.summary()
                per_endpoint[endpoint.name] = entry
                ours = entry["ours"]
                print(
                    f"  {endpoint.name:40} ours {ours['rps']:8.1f} rps p99 "
                    f"{ours['p99_ms']:8.2f} ms SQL {ours['sql_per_request']} "
                    f"(status {ours['first_status']})",
                    flush=True,
                )
            results["datasets"][dataset.key] = {
                "database": dataset.database,
                "appointments": dataset.appointments,
                "description": f"{dataset.professionals} × {dataset.per_professional}",
                "ids": asdict(ids),
                "endpoints": per_endpoint,
            }
            if options.asaas_latency and dataset is options.sets[0]:
                results["asaas_latency"] = asaas_latency_step(
                    bench, stacks["ours"], ids, dataset, env, workdir, options
                )
            for stack in stacks.values():
                stack.stop()
            _save(results, options.json_path)  # partial results survive a later failure
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    _save(results, options.json_path)
    print(table(results, stack_names))
    print(f"\nResultados em {options.json_path}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def asaas_latency_step(
    bench: Bench,
    stack: Stack,
    ids: Ids,
    dataset: Dataset,
    env: dict[str, str],
    workdir: Path,
    options: RunOptions,
) -> dict[str, Any]:
    """Booking p99 with the emulator answering at once and at 2 s, a Celery worker charging."""
    control_token = secrets.token_urlsafe(16)
    emulator_port = options.port + 9
    emulator = Process(
        "emulator",
        [
            sys.executable,
            "-m",
            "payments.emulator",
            "--port",
            str(emulator_port),
            "--api-key",
            EMULATOR_KEY,
            "--webhook-url",
            f"{stack.url}/api/payments/webhooks/asaas/",
            "--webhook-token",
            WEBHOOK_TOKEN,
            # One argument: a random token starting with "-" would read as an option.
            f"--control-token={control_token}",
        ],
        env=env,
        log=workdir / "emulator.log",
    )
    worker = Process(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "-n",
            f"bench-{secrets.token_hex(3)}@localhost",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        log=workdir / "worker.log",
    )
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    control = {"X-Emulator-Control-Token": control_token}
    out: dict[str, Any] = {}
    try:
        redis_flush(env["REDIS_URL"])
        emulator.start()
        _wait(
            lambda: requests.get(f"{emulator_url}/_emulator/health", timeout=1).ok,
            timeout=30,
            what="the emulator",
            process=emulator,
        )
        worker.start()
        time.sleep(3)
        booking = next(e for e in ENDPOINTS if e.method == "POST" and e.floor is None)
        for label, latency in (("sem latência", 0), ("latência do Asaas 2 s", 2000)):
            requests.post(
                f"{emulator_url}/_emulator/faults",
                json={"latency_ms": latency},
                headers=control,
                timeout=10,
            ).raise_for_status()
            measure = Measure()
            for _ in range(options.rounds):
                bench.measure(stack, booking, booking.path, ids, dataset, measure)
            out[label] = measure.summary()
            print(f"  booking, {label}: p99 {out[label]['p99_ms']:.2f} ms", flush=True)
    finally:
        worker.stop()
        emulator.stop()
    return out
