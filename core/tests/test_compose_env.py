"""``docker-compose.yml``, ``.env.example`` and the code agree on the environment variables.

* every ``${VAR}`` of the compose file and every variable given to the app containers is
  documented in ``.env.example``;
* every variable documented there is read somewhere (Python code, compose, Dockerfile, Procfile
  or the scripts), so the file does not rot;
* ``.env.example`` copied to ``.env`` works on a machine without PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# Documented ahead of the code that will read them (e.g. the payments work of issue 3): such a
# name may be absent from the code until it lands. Add a name here only with its issue in a
# comment, and remove it once its code has landed. Empty: everything documented is read.
PENDING_VARIABLES: frozenset[str] = frozenset()

# Read by the code but not application configuration: not documented in .env.example (the
# benchmark's own servers are documented in docs/BENCHMARKS.md; the test settings give each
# pytest-xdist worker a Redis database of its own).
NOT_CONFIGURATION = frozenset(
    {"CI", "BENCH_DATABASE_URL", "BENCH_REDIS_URL", "PYTEST_XDIST_WORKER", "TEST_REDIS_WORKER"}
)

# Uncommented keys of .env.example that may be empty (the code treats empty as "not set").
MAY_BE_EMPTY = frozenset({"CSRF_TRUSTED_ORIGINS", "DJANGO_SUPERUSER_PASSWORD", "REDIS_URL"})

# Folders that hold no project code.
SKIPPED_DIRS = frozenset(
    {".venv", ".git", "node_modules", "staticfiles", "var", "__pycache__", ".mypy_cache"}
)

# A variable read by Python code: env.str("NAME"...), raw_str("NAME"), os.environ.get("NAME")...
READ_CALL = re.compile(
    r"(?:\benv\.(?:str|int|bool|list|float|db_url|url|json|path|dict|tuple)|\braw_str"
    r"|os\.environ\.(?:get|setdefault)|os\.getenv|\benv)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
)
ASSIGNMENT = re.compile(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err} and $VAR; "$$" is compose's escape.
INTERPOLATION = re.compile(
    r"(?<!\$)(?:\$\$)*\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))"
)


def documented_variables(text: str) -> dict[str, str | None]:
    """Names assigned in an env file, commented or not; the value is None when commented."""
    found: dict[str, str | None] = {}
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            commented, name, value = match.groups()
            if commented is None or name not in found:
                found[name] = None if commented else value.strip()
    return found


def strings_in(node: Any) -> Iterator[str]:
    """Every string of a parsed YAML document, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)


def interpolated_variables(compose: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for text in strings_in(compose):
        for braced, bare in INTERPOLATION.findall(text):
            names.add(braced or bare)
    return names


def environment_keys(service: dict[str, Any]) -> set[str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return {item.split("=", 1)[0] for item in environment}
    return set(environment)


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services that run this project's image (built from the Dockerfile)."""
    return {name: spec for name, spec in compose["services"].items() if "build" in spec}


def compose_variables(compose: dict[str, Any]) -> set[str]:
    names = interpolated_variables(compose)
    for spec in app_services(compose).values():
        names |= environment_keys(spec)
    return names


def source_files(root: Path) -> Iterator[Path]:
    """Project code that may read a variable: Python (tests excluded) and the infrastructure."""
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).parts
        if SKIPPED_DIRS.intersection(relative) or "tests" in relative:
            continue
        yield path
    for name in ("Dockerfile", "Procfile", "setup.sh", "reset_docker_db.sh", "run_tests.sh"):
        if (root / name).is_file():
            yield root / name
    yield from sorted((root / "scripts").glob("*.sh"))


def read_by_python(texts: list[str]) -> set[str]:
    return {name for text in texts for name in READ_CALL.findall(text)}


def unread_variables(names: set[str], sources: list[str]) -> set[str]:
    return {name for name in names if not any(re.search(rf"\b{name}\b", s) for s in sources)}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def documented() -> dict[str, str | None]:
    return documented_variables(ENV_EXAMPLE.read_text(encoding="utf-8"))


def test_compose_defines_the_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "redis", "web"} <= set(services)
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"]
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])
    assert "postgres_data" in compose["volumes"]
    assert set(app_services(compose)) >= {"web"}
    for name, spec in app_services(compose).items():
        assert spec.get("env_file") == ".env", name


def test_every_compose_variable_is_documented(
    compose: dict[str, Any], documented: dict[str, str | None]
) -> None:
    used = compose_variables(compose)
    # The stack passes the database and broker to the app through its environment map.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PORT"} <= used
    missing = sorted(used - set(documented))
    assert not missing, f"docker-compose.yml uses variables missing from .env.example: {missing}"


def test_every_documented_variable_is_read(documented: dict[str, str | None]) -> None:
    compose_text = yaml.safe_dump(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))
    sources = [compose_text] + [p.read_text(encoding="utf-8") for p in source_files(ROOT)]
    assert len(sources) > 10, "the project's sources were not found"
    unread = sorted(unread_variables(set(documented) - PENDING_VARIABLES, sources))
    assert not unread, f".env.example documents variables nothing reads: {unread}"
    assert set(documented) >= PENDING_VARIABLES, "pending variables must be documented"


def test_every_variable_the_code_reads_is_documented(documented: dict[str, str | None]) -> None:
    python = [p.read_text(encoding="utf-8") for p in source_files(ROOT) if p.suffix == ".py"]
    read = read_by_python(python)
    assert {"SECRET_KEY", "DATABASE_URL", "DJANGO_SUPERUSER_PASSWORD"} <= read
    missing = sorted(read - set(documented) - NOT_CONFIGURATION)
    assert not missing, f"the code reads variables missing from .env.example: {missing}"


def test_env_example_works_without_postgresql(documented: dict[str, str | None]) -> None:
    # Commented (None) or absent: development falls back to SQLite, tests to SQLite in memory.
    assert documented.get("DATABASE_URL") is None
    assert documented.get("DB_NAME") is None
    assert documented.get("DJANGO_SETTINGS_MODULE") == "core.settings.development"
    assert documented.get("SECRET_KEY")
    empty = sorted(k for k, v in documented.items() if v == "" and k not in MAY_BE_EMPTY)
    assert not empty, f"empty values would override the settings' defaults: {empty}"


def test_env_example_values_parse_like_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    values: dict[str, str] = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", values)
    environ.Env.read_env(str(ENV_EXAMPLE))
    env = environ.Env()
    assert env.bool("DEBUG") is True
    assert env.int("DB_CONN_MAX_AGE") >= 0
    assert env.list("ALLOWED_HOSTS") == ["localhost", "127.0.0.1", "0.0.0.0"]
    assert env.list("CSRF_TRUSTED_ORIGINS") == []
    assert env.int("PORT") == 8000
    assert env.int("ASAAS_EMULATOR_PORT") == 8001
    # The quotes keep the leading "$" of Asaas keys literal.
    assert values["ASAAS_API_KEY"].startswith("$aact_")
    assert len(values["ASAAS_WEBHOOK_TOKEN"]) >= 32


def test_procfile_runs_the_web_process_on_port() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    web = [line for line in lines if line.startswith("web:")]
    assert len(web) == 1
    assert "$PORT" in web[0]


# The helpers above must be able to fail: feed them what they have to catch.
def test_helpers_find_undocumented_compose_variables() -> None:
    compose = {
        "services": {
            "web": {
                "build": ".",
                "environment": {"FROM_MAP": "x", "URL": "${FROM_DEFAULT:-y}/$BARE"},
                "command": "echo $${ESCAPED}",
            },
            "db": {"image": "postgres", "environment": ["POSTGRES_ONLY=1"]},
        }
    }
    assert compose_variables(compose) == {"FROM_MAP", "URL", "FROM_DEFAULT", "BARE"}
    documented = documented_variables("FROM_MAP=1\n# URL=2\n# prose, not a variable\n")
    assert documented == {"FROM_MAP": "1", "URL": None}
    assert compose_variables(compose) - set(documented) == {"FROM_DEFAULT", "BARE"}


def test_helpers_find_variables_read_by_python() -> None:
    code = [
        'A = env.str("READ_STR", default="")\nB = env.int(\n    "READ_INT", default=1)',
        'C = raw_str(\'READ_RAW\')\nD = os.environ.get("READ_OS")\nE = env("READ_CALL")',
        'F = settings.NOT_ENV\nG = "JUST_A_STRING"\nH = other.str("NOT_ENV_EITHER")',
    ]
    assert read_by_python(code) == {"READ_STR", "READ_INT", "READ_RAW", "READ_OS", "READ_CALL"}


def test_helpers_find_unread_variables() -> None:
    sources = ["x = env.str('READ_ME')", "SOMETHING_ELSE_READ_ME_TOO = 1"]
    assert unread_variables({"READ_ME", "NEVER_READ", "READ"}, sources) == {"NEVER_READ", "READ"}
