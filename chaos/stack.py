"""The stack: its own database, Redis, gunicorn, worker, beat and emulator, supervised.

``Stack.close()`` stops everything and drops the database; it is idempotent and runs on normal
exit, on failure and on SIGINT/SIGTERM. A supervisor thread restarts the web, the worker and
beat when they die on their own (as the deployment's restart policy does) and records it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

import psycopg
import requests
from psycopg import sql

from .procs import API_KEY, ROOT, WEBHOOK_PATH, Child, free_port, port_open, wait_for

log = logging.getLogger("chaos")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _admin_conninfo(base_url: str) -> dict[str, str]:
    parsed = urlparse(base_url)
    info = {
        "dbname": "postgres",
        "user": parsed.username or "postgres",
        "host": parsed.hostname or "127.0.0.1",
        "port": str(parsed.port or 5432),
    }
    if parsed.password:
        info["password"] = parsed.password
    return info


@dataclass
class Stack:
    """Ports, secrets and processes of one campaign run."""

    quick: bool
    base_database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chaos-")))
    web_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    emulator_port: int = field(default_factory=free_port)
    webhook_token: str = field(default_factory=lambda: secrets.token_hex(24))
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    db_name: str = field(default_factory=lambda: f"chaos_{os.getpid()}_{secrets.token_hex(3)}")
    children: dict[str, Child] = field(default_factory=dict)
    db_created: bool = False
    closed: bool = False
    # Supervision, as the deployment's restart policy does (compose: restart: unless-stopped).
    expected_down: set[str] = field(default_factory=set)
    unexpected_exits: list[str] = field(default_factory=list)
    _supervisor: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _control: threading.RLock = field(default_factory=threading.RLock)

    # --- addresses -------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        info = _admin_conninfo(self.base_database_url)
        auth = quote(info["user"], safe="")
        if "password" in info:
            auth += ":" + quote(info["password"], safe="")
        return f"postgres://{auth}@{info['host']}:{info['port']}/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def app_env(self) -> dict[str, str]:
        """Production settings, pointed at this run's database, Redis and emulator."""
        knobs = {
            "DJANGO_SETTINGS_MODULE": "core.settings.production",
            "SECRET_KEY": "chaos-" + secrets.token_hex(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "ASAAS_API_URL": f"{self.emulator_url}/v3",
            "ASAAS_API_KEY": API_KEY,
            "ASAAS_WEBHOOK_TOKEN": self.webhook_token,
            # Shorter than the emulator's hang-after-create: the worker really times out.
            "ASAAS_TIMEOUT": "3",
            "JWT_ACCESS_MINUTES": "120",
            # Throttling stays on (it reads the cache); the campaign's clients stay under it.
            "THROTTLE_USER_RATE": "100000/minute",
            "THROTTLE_WEBHOOK_RATE": "100000/minute",
            "PAYMENT_RETRY_BACKOFF_SECONDS": "1",
            "PAYMENT_SWEEP_AFTER_SECONDS": "10",
            "PAYMENT_SWEEP_INTERVAL_SECONDS": "5",
            "PAYMENT_SYNC_AFTER_HOURS": "0",
            "PAYMENT_SYNC_INTERVAL_SECONDS": "15" if self.quick else "30",
            "WEBHOOK_REPLAY_INTERVAL_SECONDS": "10",
            "WEBHOOK_STRANDED_AFTER_SECONDS": "15",
            # A SIGKILLed worker's claim on a charge expires this soon (default 180 s); Asaas
            # calls time out after 3 s, so no live worker holds a claim that long.
            "PAYMENT_SUBMIT_LEASE_SECONDS": "30",
            # The final check reads the metrics as they are then, not as cached a moment ago.
            "PAYMENT_METRICS_CACHE_SECONDS": "0",
            "CELERY_QUEUE_DIR": str(self.workdir / "celery"),
            "LOG_LEVEL": "INFO",
            # Patient notifications stay in memory (the console backend would log them).
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "EMAIL_ALLOW_CONSOLE": "true",
            "PYTHONUNBUFFERED": "1",
            "MEDICAL_API_DB_NOTICE_SHOWN": "1",
        }
        inherited = {
            k: v
            for k, v in os.environ.items()
            # COV_CORE_*: pytest-cov must not measure (and slow down) the stack's processes.
            if not k.startswith(
                ("DJANGO_", "ASAAS_", "THROTTLE_", "PAYMENT_", "CELERY_", "COV_CORE_")
            )
            and k not in {"DATABASE_URL", "REDIS_URL", "DB_NAME", "SECRET_KEY"}
        }
        return {**inherited, **knobs}

    # --- database --------------------------------------------------------------------------
    def _admin(self, statement: sql.Composed) -> None:
        info = _admin_conninfo(self.base_database_url)
        with psycopg.connect(**info, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(statement)

    def create_database(self) -> None:
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
        self.db_created = True

    def drop_database(self) -> None:
        if self.db_created:
            self._admin(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.db_name)
                )
            )
            self.db_created = False

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.app_env(), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    # --- children --------------------------------------------------------------------------
    def _child(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, argv, env or self.app_env(), self.workdir / f"{name}.log")
        self.children[name] = child
        return child

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        data = self.workdir / "redis"
        data.mkdir(exist_ok=True)
        child = self.children.get("redis") or self._child(
            "redis",
            [
                binary,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(data),
            ],
            env=dict(os.environ),
        )
        child.start()
        wait_for(lambda: port_open(self.redis_port), timeout=15, what="redis-server")

    def _emulator_options(self) -> list[str]:
        """Options the emulator on this branch knows (the control token came with issue 7)."""
        help_text = subprocess.run(
            [sys.executable, "-m", "payments.emulator", "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        if "--control-token" in help_text:
            # One argument: a token starting with "-" would otherwise read as an option.
            return [f"--control-token={self.control_token}"]
        self.control_token = ""
        return []

    def start_emulator(self) -> None:
        child = self.children.get("emulator") or self._child(
            "emulator",
            [
                sys.executable,
                "-m",
                "payments.emulator",
                "--port",
                str(self.emulator_port),
                "--api-key",
                API_KEY,
                "--webhook-url",
                self.web_url + WEBHOOK_PATH,
                "--webhook-token",
                self.webhook_token,
                "--webhook-retry-scale",
                "0.01",
                "--webhook-timeout",
                "10",
                *self._emulator_options(),
            ],
        )
        child.start()

        def healthy() -> bool:
            if not child.alive:
                raise RuntimeError(f"the emulator exited:\n{child.tail()}")
            try:
                return requests.get(f"{self.emulator_url}/_emulator/health", timeout=1).ok
            except requests.RequestException:
                return False

        wait_for(healthy, timeout=20, what="the emulator")

    def start_web(self) -> None:
        workers = "2"
        child = self.children.get("web") or self._child(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "core.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                workers,
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
            ],
        )
        child.start()

        def healthy() -> bool:
            if not child.alive:
                raise RuntimeError(f"gunicorn exited:\n{child.tail()}")
            try:
                return requests.get(f"{self.web_url}/health/", timeout=2).status_code < 500
            except requests.RequestException:
                return False

        wait_for(healthy, timeout=40, what="gunicorn")

    def start_worker(self) -> None:
        child = self.children.get("worker") or self._child(
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
                "INFO",
                "-n",
                f"chaos-{secrets.token_hex(3)}@localhost",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        child.start()
        time.sleep(1)
        if not child.alive:
            raise RuntimeError(f"the worker exited:\n{child.tail()}")

    def start_beat(self) -> None:
        (self.workdir / "celery").mkdir(exist_ok=True)
        child = self.children.get("beat") or self._child(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "core",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "celery" / "beat-schedule"),
            ],
        )
        child.start()

    @contextlib.contextmanager
    def down(self, name: str) -> Iterator[None]:
        """Mark ``name`` as stopped on purpose: the supervisor leaves it alone meanwhile."""
        with self._control:
            self.expected_down.add(name)
        try:
            yield
        finally:
            with self._control:
                self.expected_down.discard(name)

    def _supervise(self) -> None:
        starters = {"worker": self.start_worker, "beat": self.start_beat, "web": self.start_web}
        while not self._stopping.wait(1.0):
            for name, starter in starters.items():
                with self._control:
                    child = self.children.get(name)
                    if child is None or child.alive or name in self.expected_down:
                        continue
                    code = child.process.returncode if child.process else None
                    last = child.tail(600).strip().splitlines()[-1:] or [""]
                    self.unexpected_exits.append(f"{name} exited ({code}): {last[0][:200]}")
                    log.warning("supervisor: %s exited (%s), restarting it", name, code)
                    try:
                        starter()
                    except RuntimeError as error:
                        self.unexpected_exits.append(f"{name} did not restart: {error}"[:300])

    def start(self) -> None:
        self.create_database()
        self.start_redis()
        self.manage("migrate", "--no-input", "--verbosity", "0")
        self.start_emulator()
        self.start_web()
        self.start_worker()
        self.start_beat()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(30)
        for name in ("beat", "worker", "web", "emulator", "redis"):
            child = self.children.get(name)
            if child is not None:
                child.stop()
        try:
            self.drop_database()
        except psycopg.Error as error:
            sys.stderr.write(f"could not drop {self.db_name}: {error}\n")

    def keep_logs(self, destination: Path) -> None:
        destination.mkdir(parents=True, exist_ok=True)
        for child in self.children.values():
            if child.log.exists():
                shutil.copy(child.log, destination / child.log.name)

    def remove_workdir(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
