#!/usr/bin/env bash
# run_tests.sh: every check of the project, all of them run, then a summary; exits non-zero if
# any failed. Inside the compose web container when it runs, otherwise locally. -h for help.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/bootstrap.sh
. scripts/bootstrap.sh

usage() {
    cat <<'EOF'
Uso: ./run_tests.sh [--local] [--schemathesis-only] [argumentos do pytest...]

Roda todas as verificações e falha se QUALQUER uma falhar (todas rodam; no fim, um resumo):
  1. pytest com cobertura (mínimo de 90% na execução completa; com argumentos do pytest,
     ex.: ./run_tests.sh -k agendamento, a cobertura é mostrada mas não exigida), em paralelo
     com o pytest-xdist: um processo por núcleo, no máximo 4 (-n auto --maxprocesses 4), cada
     um com o seu banco de teste (test_<banco>_gw0, _gw1...) e o seu banco do Redis (15, 14...).
     -n 0 roda tudo em série, num processo só (o mesmo com --pdb ou --trace); -n 3 escolhe
     o número de processos.
  2. ruff check .
  3. ruff format --check .
  4. mypy .
  5. python manage.py makemigrations --check --dry-run
  6. python manage.py spectacular --validate --fail-on-warn
  7. shellcheck nos scripts (obrigatório com CI=true; sem ele instalado, pulado com aviso)
  8. schemathesis contra o esquema OpenAPI da aplicação rodando: todas as verificações, todas
     as fases (examples, coverage, fuzzing, stateful), dados válidos e inválidos, semente fixa,
     autenticado; SCHEMATHESIS_MAX_EXAMPLES exemplos por operação (padrão 30).
     --schemathesis-only roda só esta etapa.

Com CI=true o pytest inclui também a campanha de falhas curta (python -m chaos --quick, ~3 min,
teste marcado "chaos"; veja docs/RELIABILITY.md). Fora do CI: CHAOS_CAMPAIGN=1 ./run_tests.sh.

Onde roda: dentro do contêiner "web" do docker compose quando ele está rodando; senão
localmente (cria .venv/ se faltar). --local força a execução local.

Banco: PostgreSQL quando DATABASE_URL (ou DB_NAME) está definido, no ambiente ou no .env, ou
quando 127.0.0.1:5432 responde (DATABASE_URL=postgres://postgres@127.0.0.1:5432/medical_api);
senão SQLite em memória. Broker: o Redis de REDIS_URL (ambiente ou .env), ou, sem ele,
redis://127.0.0.1:6379/15 quando 127.0.0.1:6379 responde (os testes ponta a ponta rodam um
worker de verdade nele); senão os testes marcados 'redis'/'e2e' são pulados. O script diz qual
banco e qual broker usou e por quê, e lista no fim, em destaque, os testes pulados por motivo.
Com CI=true, testes que precisam de PostgreSQL/Redis/Chromium falham em vez de serem pulados.
EOF
}

LOCAL_ONLY=0
ST_ONLY=0
PYTEST_ARGS=()
for arg in "$@"; do
    case "$arg" in
        -h | --help)
            usage
            exit 0
            ;;
        --local) LOCAL_ONLY=1 ;;
        --schemathesis-only) ST_ONLY=1 ;;
        *) PYTEST_ARGS+=("$arg") ;;
    esac
done

# --- Inside Docker when the compose web container is running ---------------------------------
if ((LOCAL_ONLY == 0)) && [[ ! -f "$VENV_DIR/.docker-image" ]] && docker_ready && compose_container_id web >/dev/null; then
    info "Contêiner web do docker compose em execução: rodando as verificações dentro dele."
    exec "${COMPOSE[@]}" exec -T -e CI="${CI:-}" web ./run_tests.sh --local \
        ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
fi

IN_CI=0
case "${CI:-}" in 1 | true | TRUE | True | yes) IN_CI=1 ;; esac
# The short fault campaign (chaos/tests) runs under CI; it needs redis-server (its own Redis).
if ((IN_CI == 1)) && [[ -z "${CHAOS_CAMPAIGN:-}" ]]; then
    export CHAOS_CAMPAIGN=1
    command -v redis-server >/dev/null 2>&1 ||
        warn "CI=true e o redis-server não está instalado: a campanha de falhas vai falhar."
fi

bootstrap_venv --dev
export PATH="$VENV_DIR/bin:$PATH"
# Settings for every Django step (the process environment wins over .env and pyproject).
export DJANGO_SETTINGS_MODULE=core.settings.testing

# --- Database -------------------------------------------------------------------------------
redact_url() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

if [[ -n "${DATABASE_URL:-}" ]]; then
    DB_DESCRIPTION="DATABASE_URL do ambiente ($(redact_url "$DATABASE_URL"))"
elif [[ -n "${DB_NAME:-}" ]]; then
    DB_DESCRIPTION="PostgreSQL do ambiente (DB_NAME=$DB_NAME)"
elif [[ -n "$(dotenv_get DATABASE_URL)" ]]; then
    DB_DESCRIPTION="DATABASE_URL do .env ($(redact_url "$(dotenv_get DATABASE_URL)"))"
elif [[ -n "$(dotenv_get DB_NAME)" ]]; then
    DB_DESCRIPTION="PostgreSQL do .env (DB_NAME=$(dotenv_get DB_NAME))"
elif tcp_open 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/medical_api"
    DB_DESCRIPTION="PostgreSQL local, porque 127.0.0.1:5432 respondeu e nenhum DATABASE_URL/DB_NAME foi dado (usuário postgres, bancos de teste test_medical_api_gwN, um por processo do pytest)"
else
    DB_DESCRIPTION="SQLite em memória, porque nenhum PostgreSQL foi configurado nem respondeu em 127.0.0.1:5432 (testes marcados 'postgres' serão pulados)"
fi
info "Banco dos testes: $DB_DESCRIPTION"

# --- Broker (Redis) -------------------------------------------------------------------------
# The end-to-end tests run a real worker on Redis: use one whenever it can be reached.
if [[ -n "${REDIS_URL:-}" ]]; then
    BROKER_DESCRIPTION="Redis de REDIS_URL do ambiente ($(redact_url "$REDIS_URL"))"
elif [[ -n "$(dotenv_get REDIS_URL)" ]]; then
    BROKER_DESCRIPTION="Redis de REDIS_URL do .env ($(redact_url "$(dotenv_get REDIS_URL)"))"
elif tcp_open 127.0.0.1 6379; then
    export REDIS_URL="redis://127.0.0.1:6379/15"
    BROKER_DESCRIPTION="Redis local, porque 127.0.0.1:6379 respondeu e nenhum REDIS_URL foi dado ($REDIS_URL: banco 15 no primeiro processo do pytest, 14 no segundo...)"
else
    BROKER_DESCRIPTION="broker em memória, porque nenhum REDIS_URL foi dado nem 127.0.0.1:6379 respondeu (testes marcados 'redis'/'e2e' serão pulados)"
fi
info "Broker dos testes: $BROKER_DESCRIPTION"

# --- Steps ----------------------------------------------------------------------------------
STEP_NAMES=()
STEP_RESULTS=()
FAILED=0
PYTEST_SUMMARY=""
PYTEST_SKIPS=""
WORK_DIR="$(mktemp -d)"
ST_SERVER_PID=""
ST_DATABASE=""

cleanup() {
    if [[ -n "$ST_SERVER_PID" ]]; then
        kill "$ST_SERVER_PID" 2>/dev/null || true
        wait "$ST_SERVER_PID" 2>/dev/null || true
        ST_SERVER_PID=""
    fi
    if [[ -n "$ST_DATABASE" ]]; then
        postgres_admin drop "$ST_DATABASE" >/dev/null 2>&1 || true
        ST_DATABASE=""
    fi
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT

# run_step NAME COMMAND...: runs it, records "ok" or the failure, never stops the script.
run_step() {
    local name="$1" status=0
    shift
    printf '\n%s━━ %s%s\n' "$C_BOLD" "$name" "$C_RESET"
    "$@" || status=$?
    if ((status == 0)); then
        STEP_RESULTS+=("ok")
    else
        STEP_RESULTS+=("FALHOU (código $status)")
        FAILED=$((FAILED + 1))
    fi
    STEP_NAMES+=("$name")
}

skip_step() {
    local name="$1" reason="$2"
    printf '\n%s━━ %s%s\n' "$C_BOLD" "$name" "$C_RESET"
    warn "$reason"
    STEP_NAMES+=("$name")
    STEP_RESULTS+=("pulado ($reason)")
}

step_pytest() {
    local log="$WORK_DIR/pytest.log" status=0
    local -a extra=(--cov --cov-report=term-missing:skip-covered)
    if ((${#PYTEST_ARGS[@]})); then
        # A partial run cannot reach the project-wide minimum: show coverage, do not enforce it.
        extra+=(--cov-fail-under=0)
    fi
    [[ -t 1 ]] && extra+=(--color=yes)
    # In parallel (pytest-xdist) unless the caller chose the number of workers or a debugger.
    local arg parallel=1
    for arg in ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}; do
        case "$arg" in -n* | --numprocesses* | --pdb | --trace) parallel=0 ;; esac
    done
    ((parallel == 1)) && extra+=(-n auto --maxprocesses 4)
    # Runs in run_step's "||" context, so errexit is off here and PIPESTATUS is pytest's.
    python -m pytest "${extra[@]}" ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} 2>&1 | tee "$log"
    status="${PIPESTATUS[0]}"
    PYTEST_SUMMARY="$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
        grep -E '^=+ .*(passed|failed|error|skipped|no tests ran).* in [0-9.]+s' | tail -n 1 || true)"
    # Skipped tests grouped by reason ("SKIPPED [3] path:line: reason" lines of -ra).
    PYTEST_SKIPS="$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
        sed -nE 's/^SKIPPED \[([0-9]+)\] [^ ]+:[0-9]+: (.*)$/\1\t\2/p' |
        awk -F '\t' '{ n[$2] += $1 } END { for (r in n) printf "%d\t%s\n", n[r], r }' |
        sort -rn || true)"
    if ((status == 5)); then
        warn "O pytest não coletou nenhum teste: isso conta como falha."
    fi
    return "$status"
}

step_spectacular() {
    python manage.py spectacular --validate --fail-on-warn --file "$WORK_DIR/schema.yaml"
}

SHELL_SCRIPTS=(setup.sh reset_docker_db.sh run_tests.sh .ci/run scripts/*.sh)

# postgres_admin create|drop NAME, or url NAME: manages the schemathesis database on the
# PostgreSQL server the tests use (maintenance connection to the "postgres" database).
postgres_admin() {
    python - "$@" <<'PY'
import os
import sys
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.testing")
import psycopg
from psycopg import sql

from core.settings.environment import configured_database

action, name = sys.argv[1], sys.argv[2]
db = configured_database() or {}
conninfo = {
    "dbname": "postgres",
    "user": db.get("USER") or "postgres",
    "password": db.get("PASSWORD") or None,
    "host": db.get("HOST") or "127.0.0.1",
    "port": str(db.get("PORT") or 5432),
}
if action == "base":
    print(db.get("NAME", "medical_api"))
    sys.exit(0)
with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        auth = quote(conninfo["user"], safe="")
        if conninfo["password"]:
            auth += ":" + quote(conninfo["password"], safe="")
        print(f"postgres://{auth}@{conninfo['host']}:{conninfo['port']}/{name}")
PY
}

uses_postgres() {
    python - <<'PY'
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.testing")
from core.settings.environment import configured_database

db = configured_database()
sys.exit(0 if db and "postgresql" in db["ENGINE"] else 1)
PY
}

# Live-schema fuzzing: app on a free port with a throwaway database seeded with demo data.
ST_SEED=20251129
ST_MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
step_schemathesis() {
    local port url db_url status=0 waited=0
    # Every check and every phase (examples, coverage, fuzzing, stateful), positive and
    # negative data, on a fixed seed: any failure fails the step.
    local checks="all" phases="examples,coverage,fuzzing,stateful"
    port="$(free_port)"
    if uses_postgres 2>/dev/null; then
        ST_DATABASE="$(postgres_admin base x)_schemathesis"
        db_url="$(postgres_admin create "$ST_DATABASE")" || {
            warn "Não foi possível criar o banco $ST_DATABASE."
            ST_DATABASE=""
            return 1
        }
        info "Banco descartável: PostgreSQL $ST_DATABASE"
    else
        db_url="sqlite:///$WORK_DIR/schemathesis.sqlite3"
        info "Banco descartável: SQLite em arquivo temporário"
    fi
    # Authenticated as staff (the whole API is open to it); throttling out of the way.
    local st_user="schemathesis" st_password token st_webhook_token
    st_password="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
    # The webhook is fuzzed past its token check too (its header goes with every request).
    st_webhook_token="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
    local -a server_env=(DJANGO_SETTINGS_MODULE=core.settings.development DEBUG=False
        ASAAS_WEBHOOK_TOKEN="$st_webhook_token"
        DATABASE_URL="$db_url" MEDICAL_API_DB_NOTICE_SHOWN=1
        THROTTLE_ANON_RATE=100000/minute THROTTLE_USER_RATE=100000/minute
        THROTTLE_AUTH_RATE=100000/minute THROTTLE_WEBHOOK_RATE=100000/minute)
    env "${server_env[@]}" python manage.py migrate --no-input --verbosity 0 || return 1
    env "${server_env[@]}" python manage.py seed >/dev/null || return 1
    env "${server_env[@]}" DJANGO_SUPERUSER_USERNAME="$st_user" \
        DJANGO_SUPERUSER_PASSWORD="$st_password" python manage.py ensure_superuser >/dev/null ||
        return 1

    env "${server_env[@]}" gunicorn core.wsgi:application --config gunicorn.conf.py --bind "127.0.0.1:$port" \
        --workers 2 --timeout 30 --log-level warning >"$WORK_DIR/server.log" 2>&1 &
    ST_SERVER_PID=$!
    url="http://127.0.0.1:$port"
    until python -c "import urllib.request; urllib.request.urlopen('$url/health/', timeout=2)" 2>/dev/null; do
        if ! kill -0 "$ST_SERVER_PID" 2>/dev/null || ((waited >= 30)); then
            warn "A aplicação não respondeu em $url/health/:"
            cat "$WORK_DIR/server.log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    token="$(ST_URL="$url" ST_USER="$st_user" ST_PASSWORD="$st_password" python - <<'PY'
import json, os, urllib.request
body = json.dumps({"username": os.environ["ST_USER"], "password": os.environ["ST_PASSWORD"]})
request = urllib.request.Request(
    os.environ["ST_URL"] + "/api/auth/token/", body.encode(), {"Content-Type": "application/json"}
)
print(json.load(urllib.request.urlopen(request, timeout=10))["access"])
PY
)" || {
        warn "Não foi possível obter um token de acesso para o schemathesis."
        cleanup_schemathesis
        return 1
    }
    info "Aplicação em $url (semente $ST_SEED, até $ST_MAX_EXAMPLES exemplos por operação, como equipe)."
    schemathesis run "$url/api/schema/" \
        --header "Authorization: Bearer $token" \
        --header "asaas-access-token: $st_webhook_token" \
        --checks "$checks" \
        --phases "$phases" \
        --mode all \
        --seed "$ST_SEED" \
        --max-examples "$ST_MAX_EXAMPLES" \
        --generation-database none \
        --request-timeout 10 \
        --workers 1 \
        --no-color || status=$?
    if ((status != 0)) && grep -qE 'ERROR' "$WORK_DIR/server.log"; then
        # The exceptions behind the 5xx answers, once each, to find them in the code.
        warn "Erros registrados pelo servidor (ocorrências, mensagem):"
        grep -E '^ERROR|ERROR django|^[A-Za-z_.]+(Error|Exception)\b' "$WORK_DIR/server.log" |
            sed -E 's/^[0-9-]+ [0-9:,]+ //' | sort | uniq -c | sort -rn | head -n 20 >&2
    fi
    cleanup_schemathesis
    return "$status"
}

cleanup_schemathesis() {
    if [[ -n "$ST_SERVER_PID" ]]; then
        kill "$ST_SERVER_PID" 2>/dev/null || true
        wait "$ST_SERVER_PID" 2>/dev/null || true
        ST_SERVER_PID=""
    fi
    if [[ -n "$ST_DATABASE" ]]; then
        postgres_admin drop "$ST_DATABASE" >/dev/null || warn "Não foi possível apagar $ST_DATABASE."
        ST_DATABASE=""
    fi
}

if ((ST_ONLY == 0)); then
    run_step "pytest (cobertura >= 90%)" step_pytest
    run_step "ruff check ." ruff check .
    run_step "ruff format --check ." ruff format --check .
    run_step "mypy ." mypy .
    run_step "makemigrations --check --dry-run" python manage.py makemigrations --check --dry-run
    run_step "spectacular --validate --fail-on-warn" step_spectacular
    if command -v shellcheck >/dev/null 2>&1; then
        run_step "shellcheck" shellcheck -x "${SHELL_SCRIPTS[@]}"
    elif ((IN_CI == 1)); then
        printf '\n%s━━ shellcheck%s\n' "$C_BOLD" "$C_RESET"
        warn "CI=true e o shellcheck não está instalado (o .ci/run o instala)."
        STEP_NAMES+=("shellcheck")
        STEP_RESULTS+=("FALHOU (não instalado)")
        FAILED=$((FAILED + 1))
    else
        skip_step "shellcheck" "shellcheck não instalado"
    fi
fi
run_step "schemathesis (API ao vivo)" step_schemathesis

# --- Summary --------------------------------------------------------------------------------
printf '\n%sResumo%s\n  banco:  %s\n  broker: %s\n' "$C_BOLD" "$C_RESET" "$DB_DESCRIPTION" \
    "$BROKER_DESCRIPTION"
for i in "${!STEP_NAMES[@]}"; do
    result="${STEP_RESULTS[$i]}"
    case "$result" in
        ok) color="$C_GREEN" ;;
        pulado*) color="$C_YELLOW" ;;
        *) color="$C_RED" ;;
    esac
    printf '  %-42s %s%s%s\n' "${STEP_NAMES[$i]}" "$color" "$result" "$C_RESET"
done

if [[ -n "$PYTEST_SUMMARY" ]]; then
    count() { grep -oE "[0-9]+ $1" <<<"$PYTEST_SUMMARY" | grep -oE '^[0-9]+' || echo 0; }
    passed="$(count passed)"
    failed=$(($(count failed) + $(count 'errors?')))
    skipped="$(count skipped)"
    printf '\npytest: %s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
fi
if [[ -n "$PYTEST_SKIPS" ]]; then
    printf '\n%sATENÇÃO: testes PULADOS (não rodaram), por motivo:%s\n' "$C_YELLOW$C_BOLD" "$C_RESET"
    while IFS=$'\t' read -r n reason; do
        printf '  %s%4d%s  %s\n' "$C_YELLOW" "$n" "$C_RESET" "$reason"
    done <<<"$PYTEST_SKIPS"
fi

if ((FAILED > 0)); then
    printf '%sFALHOU:%s %d de %d etapas.\n' "$C_RED" "$C_RESET" "$FAILED" "${#STEP_NAMES[@]}"
    exit 1
fi
printf '%sTudo certo:%s %d etapas ok.\n' "$C_GREEN" "$C_RESET" "${#STEP_NAMES[@]}"
