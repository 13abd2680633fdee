"""The benchmark's data sets and their databases (each set in a database of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SETTINGS_MODULE = "core.settings.bench"
BENCH_USERNAME = "bench-staff"
#: Only ever used against the benchmark's own databases.
BENCH_PASSWORD = "bench-staff-password-not-a-secret"  # noqa: S105 - bench databases only


@dataclass(frozen=True)
class Dataset:
    key: str
    database: str
    professionals: int
    per_professional: int

    @property
    def appointments(self) -> int:
        return self.professionals * self.per_professional


DATASETS = {
    "1m": Dataset("1m", "medical_api_bench", 1000, 1000),
    "10k": Dataset("10k", "medical_api_bench_10k", 10, 1000),
}


def server_url() -> str:
    """The PostgreSQL server: ``BENCH_DATABASE_URL`` (its database part is ignored)."""
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER_URL


def database_url(name: str) -> str:
    parsed = urlparse(server_url())
    return urlunparse(parsed._replace(path=f"/{name}"))


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(database_url("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _admin() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def database_appointments(name: str) -> int:
    """Appointments in the database (0 when it or its table is missing)."""
    if not database_exists(name):
        return 0
    try:
        with psycopg.connect(database_url(name)) as conn:
            row = conn.execute("SELECT count(*) FROM appointments_appointment").fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


def database_recreate(name: str) -> None:
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def app_env(name: str, **extra: str) -> dict[str, str]:
    """The environment of a Django process on the database ``name`` (bench settings)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "THROTTLE_", "COV_CORE_"))
        and key not in {"DATABASE_URL", "DB_NAME", "REDIS_URL", "SECRET_KEY"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DATABASE_URL": database_url(name),
        "MEDICAL_API_DB_NOTICE_SHOWN": "1",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def dataset_migrate(dataset: Dataset) -> None:
    """Apply the code's migrations to a loaded set (a new index must be measured with it)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=app_env(dataset.database),
        check=True,
    )


def dataset_ensure(dataset: Dataset, *, force: bool = False, log: object = print) -> bool:
    """Load ``dataset`` unless its database already holds it; True when it loaded."""
    have = 0 if force else database_appointments(dataset.database)
    if have:
        log(f"[{dataset.key}] {dataset.database}: já carregado ({have} consultas)")  # type: ignore[operator]
        dataset_migrate(dataset)
        return False
    log(f"[{dataset.key}] {dataset.database}: recriando o banco e aplicando as migrações")  # type: ignore[operator]
    database_recreate(dataset.database)
    env = app_env(dataset.database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "load-one",
            "--professionals",
            str(dataset.professionals),
            "--per-professional",
            str(dataset.per_professional),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return True
