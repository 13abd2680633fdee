#!/usr/bin/env bash
# Shared helpers for setup.sh, reset_docker_db.sh, run_tests.sh and .ci/run.
# Source it (". scripts/lib.sh"); it defines functions and a few variables and runs nothing.
# User-facing messages are in Portuguese; comments are in English.

# Guard against double sourcing.
if [[ -n "${MEDICAL_API_LIB_LOADED:-}" ]]; then
    return 0
fi
MEDICAL_API_LIB_LOADED=1

# Project root: the parent of this file's folder.
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$PROJECT_ROOT/.venv"
VENV_PYTHON="$VENV_DIR/bin/python"

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    C_BOLD=$'\033[1m'; C_RED=$'\033[31m'; C_GREEN=$'\033[32m'; C_YELLOW=$'\033[33m'
    C_BLUE=$'\033[34m'; C_RESET=$'\033[0m'
else
    C_BOLD=""; C_RED=""; C_GREEN=""; C_YELLOW=""; C_BLUE=""; C_RESET=""
fi

info() { printf '%s==>%s %s\n' "$C_BLUE$C_BOLD" "$C_RESET" "$*"; }
ok() { printf '%s ok%s %s\n' "$C_GREEN" "$C_RESET" "$*"; }
warn() { printf '%saviso:%s %s\n' "$C_YELLOW" "$C_RESET" "$*" >&2; }
die() {
    printf '%serro:%s %s\n' "$C_RED" "$C_RESET" "$*" >&2
    exit 1
}

# ask_yes_no QUESTION DEFAULT(s|n): 0 for yes. Without a terminal the default is taken.
ask_yes_no() {
    local question="$1" default="${2:-n}" hint answer
    if [[ "$default" == "s" ]]; then hint="[S/n]"; else hint="[s/N]"; fi
    if [[ ! -t 0 ]]; then
        [[ "$default" == "s" ]]
        return
    fi
    read -r -p "$question $hint " answer || answer=""
    answer="$(printf '%s' "${answer:-$default}" | tr '[:upper:]' '[:lower:]')"
    [[ "$answer" == "s" || "$answer" == "sim" || "$answer" == "y" || "$answer" == "yes" ]]
}

# find_python: prints a python3 (3.11 to 3.13) found on PATH, or fails.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 14) else 1)' \
            2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# tcp_open HOST PORT: 0 when something accepts connections there (1 s timeout).
tcp_open() {
    local host="$1" port="$2"
    if command -v timeout >/dev/null 2>&1; then
        timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
    else
        (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
    fi
}

# free_port: prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
    local py
    py="$(find_python)" || py="$VENV_PYTHON"
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# dotenv_get KEY [FILE]: value of KEY in a .env file (last assignment wins; quotes removed).
# Prints nothing when the file or the key is missing, or when the line is commented out.
dotenv_get() {
    local key="$1" file="${2:-$PROJECT_ROOT/.env}" line value=""
    [[ -f "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line#export }"
        if [[ "$line" == "$key="* ]]; then
            value="${line#"$key="}"
        fi
    done <"$file"
    value="${value%$'\r'}"
    if [[ "$value" =~ ^\'(.*)\'$ || "$value" =~ ^\"(.*)\"$ ]]; then
        value="${BASH_REMATCH[1]}"
    fi
    printf '%s' "$value"
}

# env_or_dotenv KEY: the process environment wins over .env, as in the Django settings.
env_or_dotenv() {
    local key="$1"
    if [[ -n "${!key:-}" ]]; then
        printf '%s' "${!key}"
    else
        dotenv_get "$key"
    fi
}

# Docker ------------------------------------------------------------------------------------
# COMPOSE holds the compose command as an array once detect_compose succeeded.
COMPOSE=()

# detect_compose: fills COMPOSE with "docker compose" (V2) or "docker-compose" (V1).
detect_compose() {
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    else
        return 1
    fi
}

# docker_engine_answers: 0 when a Docker engine is reachable (not just the client).
docker_engine_answers() {
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# docker_ready: engine + compose, COMPOSE filled.
docker_ready() {
    docker_engine_answers && detect_compose
}

# compose_container_id SERVICE: id of the running container of SERVICE, if any.
compose_container_id() {
    local service="$1" id
    id="$("${COMPOSE[@]}" ps -q "$service" 2>/dev/null | head -n 1)" || return 1
    [[ -n "$id" ]] || return 1
    [[ "$(docker inspect --format '{{.State.Running}}' "$id" 2>/dev/null)" == "true" ]] || return 1
    printf '%s' "$id"
}

# wait_container_healthy SERVICE TIMEOUT: waits for the Docker health check to pass.
wait_container_healthy() {
    local service="$1" timeout="${2:-120}" id status waited=0
    while ((waited < timeout)); do
        id="$("${COMPOSE[@]}" ps -q "$service" 2>/dev/null | head -n 1)" || id=""
        if [[ -n "$id" ]]; then
            status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || true)"
            case "$status" in
                healthy) return 0 ;;
                exited | dead) return 1 ;;
            esac
        fi
        sleep 2
        waited=$((waited + 2))
    done
    return 1
}

# Secrets ----------------------------------------------------------------------------------
# random_secret [BYTES]: URL-safe random text (no characters that .env or compose interpret).
random_secret() {
    local bytes="${1:-50}" py
    if py="$(find_python)"; then
        "$py" -c "import secrets; print(secrets.token_urlsafe($bytes))"
    else
        head -c "$bytes" /dev/urandom | base64 | tr -d '/+=\n'
        printf '\n'
    fi
}

# set_dotenv_value FILE KEY VALUE: replaces the first "KEY=" line (commented or not) or appends.
# VALUE must be URL-safe text (random_secret output).
set_dotenv_value() {
    local file="$1" key="$2" value="$3" tmp
    tmp="$(mktemp)"
    awk -v key="$key" -v value="$value" '
        !done && ($0 ~ "^" key "=" || $0 ~ "^# *" key "=") { print key "=" value; done = 1; next }
        { print }
        END { if (!done) print key "=" value }
    ' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
}
