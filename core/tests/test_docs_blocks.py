"""Every shell block of README.md and docs/ runs as written, in order, against a live stack.

The stack is started the way a newcomer starts it: a copy of the working tree (the tracked
files, as a fresh clone has them, sharing this .venv), ``./setup.sh -y`` in it on free ports,
with its own PostgreSQL database (when the tests use PostgreSQL) and its own ``redis-server``
(when installed); ``setup.sh`` creates the .env, migrates, seeds, creates the admin and runs
web, worker, beat and the emulator with honcho. The blocks then run in one shared
``bash -euo pipefail`` session (see ``core/tests/doc_blocks.py`` for the markers), and at the
end the stack gets a Ctrl+C: every process must stop without an error line.

About a minute, so it runs under ``CI=true`` (``./run_tests.sh``) or with ``DOCS_BLOCKS=1``.
The structural checks at the top run always.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from core.tests.doc_blocks import (
    DOCUMENTS,
    ROOT,
    all_blocks,
    missing_output,
    parse,
    session_script,
    split_output,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ENABLED = IN_CI or os.environ.get("DOCS_BLOCKS", "").lower() in {"1", "true", "yes"}
BLOCKS = all_blocks()
RUNNABLE = [block for block in BLOCKS if not block.skip_reason]

#: Variables of this pytest process that must not leak into the newcomer's shell.
_CLEARED = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DB_NAME", "VIRTUAL_ENV")


# --- Structure (always) -------------------------------------------------------------------------


def test_readme_fits_on_a_few_screens_and_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for name in DOCUMENTS[1:]:
        assert f"({name})" in readme, f"README.md does not link {name}"


def test_every_doc_with_shell_blocks_is_in_the_reading_order() -> None:
    for path in sorted((ROOT / "docs").glob("*.md")):
        name = path.relative_to(ROOT).as_posix()
        if name in DOCUMENTS:
            continue
        assert not parse(name, path.read_text(encoding="utf-8")), f"{name} has bash blocks"


def test_no_doc_needs_jq_and_every_skip_says_why() -> None:
    for block in BLOCKS:
        assert not re.search(r"\|\s*jq\b", block.code), f"{block.name} pipes into jq"
    skipped = [block for block in BLOCKS if block.skip_reason]
    assert all(block.skip_reason.strip() for block in skipped)
    # Skips are the exception: the few that cannot run against a live local stack.
    assert len(skipped) <= 12, [block.name for block in skipped]
    assert len(RUNNABLE) >= 20


def test_blocks_hold_no_fixed_ids_or_dates() -> None:
    for block in RUNNABLE:
        code = "\n".join(line for line in block.code.splitlines() if "→" not in line)
        assert not re.search(r"/api/\w+/\d+/", code), f"{block.name}: fixed id in a URL"
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", code), f"{block.name}: fixed date"


def test_output_matching() -> None:
    assert missing_output(['{"id": …, "status": "PAID"}'], '{"id": 12,\n "status": "PAID"}') is None
    assert missing_output(['"status": "PAID"'], '{"status": "PENDING"}') == '"status":"PAID"'
    assert missing_output(["a", "b"], "b a") == "b"


# --- The live run (CI) --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _copy_tree(target: Path) -> None:
    """The files of the working tree a clone would have (tracked ones with uncommitted edits,
    and new ones not ignored yet)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file() or name.startswith(".venv"):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)


def _postgres_database(name: str, action: str) -> str | None:
    """Creates or drops a database on the tests' PostgreSQL server; its URL, or None."""
    from core.settings.environment import configured_database

    db = configured_database()
    if not db or "postgresql" not in db["ENGINE"]:
        return None
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    user, password = str(db.get("USER") or "postgres"), str(db.get("PASSWORD") or "")
    host, port = str(db.get("HOST") or "127.0.0.1"), str(db.get("PORT") or 5432)
    params = {"dbname": "postgres", "user": user, "host": host, "port": port}
    if password:
        params["password"] = password
    with psycopg.connect(make_conninfo(**params), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(drop)
        if action == "create":
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgres://{auth}@{host}:{port}/{name}"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except OSError:
        return 0, ""


@dataclass
class DocsRun:
    outputs: dict[int, str]
    finished: set[int]
    exit_code: int
    log: str
    web_port: int
    emulator_port: int
    shutdown_code: int | None = None
    setup_log: str = ""
    skipped: list[str] = field(default_factory=list)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"./setup.sh -y ended early:\n{log_path.read_text()[-4000:]}")
        status, body = _get(url + "/health/ready/")
        if status == 200 and json.loads(body)["checks"]["worker"]["status"] == "ok":
            return
        time.sleep(0.5)
    pytest.fail(f"the stack was not ready in 180 s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def docs_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsRun]:
    if not ENABLED:
        pytest.skip(
            "docs blocks against a live stack: set DOCS_BLOCKS=1 (./run_tests.sh does under CI)"
        )
    tree = tmp_path_factory.mktemp("clone")
    _copy_tree(tree)
    web_port, emulator_port = _free_port(), _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _CLEARED and not key.startswith("COV_CORE")
    }
    env.update(
        PORT=str(web_port),
        ASAAS_EMULATOR_PORT=str(emulator_port),
        ASAAS_API_URL=f"http://127.0.0.1:{emulator_port}/v3",
        PYTHONUNBUFFERED="1",
    )
    database = f"docs_blocks_{os.getpid()}"
    database_url = _postgres_database(database, "create")
    if database_url:
        env["DATABASE_URL"] = database_url
    elif IN_CI:
        pytest.fail("CI=true but the tests do not use PostgreSQL")
    redis_process = None
    redis_binary = shutil.which("redis-server")
    if redis_binary:
        redis_port = _free_port()
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        redis_process = subprocess.Popen(
            [redis_binary, "--port", str(redis_port), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    elif IN_CI:
        pytest.fail("CI=true but redis-server is not installed")

    setup_log = tree / "setup.log"
    with setup_log.open("wb") as log:
        stack = subprocess.Popen(
            ["./setup.sh", "-y"],
            cwd=tree,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{web_port}", stack, setup_log)
        script = session_script(RUNNABLE, web_port=web_port, emulator_port=emulator_port)
        (tree / "docs-blocks.sh").write_text(script)
        shell_env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        result = subprocess.run(
            ["bash", "docs-blocks.sh"],
            cwd=tree,
            env=shell_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
        output = result.stdout.decode(errors="replace")
        outputs, finished = split_output(output, len(RUNNABLE))
        run = DocsRun(
            outputs=outputs,
            finished=finished,
            exit_code=result.returncode,
            log=output,
            web_port=web_port,
            emulator_port=emulator_port,
        )
        # Ctrl+C in the terminal: SIGINT to setup.sh's foreground process group.
        os.killpg(stack.pid, signal.SIGINT)
        try:
            run.shutdown_code = stack.wait(30)
        except subprocess.TimeoutExpired:
            run.shutdown_code = None
        run.setup_log = setup_log.read_text(errors="replace")
        run.skipped = [f"{b.name} ({b.skip_reason})" for b in BLOCKS if b.skip_reason]
        sys.stdout.write("doc blocks skipped:\n  " + "\n  ".join(run.skipped) + "\n")
        yield run
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait(10)
        if redis_process is not None:
            redis_process.kill()
            redis_process.wait(10)
        if database_url:
            _postgres_database(database, "drop")


@pytest.mark.e2e
@pytest.mark.parametrize("number", range(len(RUNNABLE)), ids=[b.name for b in RUNNABLE])
def test_block_runs_as_written(docs_run: DocsRun, number: int) -> None:
    block = RUNNABLE[number]
    if number not in docs_run.outputs:
        failed = max(docs_run.outputs, default=None)
        where = RUNNABLE[failed].name if failed is not None else "before the first block"
        pytest.fail(f"not reached: the session stopped at {where}")
    output = docs_run.outputs[number]
    assert number in docs_run.finished, (
        f"{block.name} failed (bash exit {docs_run.exit_code}):\n{output[-3000:]}"
    )
    missing = missing_output(
        block.expected, output, web_port=docs_run.web_port, emulator_port=docs_run.emulator_port
    )
    assert missing is None, f"{block.name} did not print {missing!r}:\n{output[-3000:]}"


@pytest.mark.e2e
def test_ctrl_c_stops_the_stack_without_error_lines(docs_run: DocsRun) -> None:
    assert docs_run.shutdown_code is not None, "setup.sh did not stop within 30 s of Ctrl+C"
    tail = docs_run.setup_log.split("Iniciando a aplicação", 1)[-1]
    bad = [line for line in tail.splitlines() if re.search(r"\bERROR\b|Traceback|CRITICAL", line)]
    assert not bad, "\n".join(bad[:20])
    assert "Iniciando a aplicação" in docs_run.setup_log
    for process in ("web", "worker", "beat", "emulator"):
        stopped = re.search(rf"{process}\.\d+ stopped", tail)
        assert stopped, f"{process} did not stop"


@pytest.mark.e2e
def test_no_log_record_is_printed_twice(docs_run: DocsRun) -> None:
    """Each record once, formatted: never also as a plain copy (the blocks caused 4xx
    warnings, so django.request had records to duplicate)."""
    lines = [line.split("| ", 1)[-1].strip() for line in docs_run.setup_log.splitlines()]
    formatted = re.compile(r"^\S+ \S+ (?:INFO|WARNING|ERROR) \[[^\]]*\] (\S+) (.+)$")
    messages = {m[2] for m in map(formatted.match, lines) if m and m[1] == "django.request"}
    assert messages, "no django.request record in the log: nothing was checked"
    plain_copies = [line for line in lines if line in messages]
    assert not plain_copies, plain_copies[:5]
