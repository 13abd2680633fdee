#!/usr/bin/env bash
# Bootstraps the project's virtual environment at .venv/ from nothing but python3.
#
#   scripts/bootstrap.sh           dependencies of the app plus the dev group (tests, linters)
#   scripts/bootstrap.sh --main    only the app's dependencies (production-like)
#   scripts/bootstrap.sh --force   reinstall even when poetry.lock has not changed
#
# Layout: .venv/ is the project environment (Poetry's in-project venv, see poetry.toml) and
# Poetry itself lives apart in .venv/.poetry so that it never mixes with the app's packages.
# Idempotent: a stamp in .venv/ holds a hash of poetry.lock + pyproject.toml + the mode, and
# nothing is installed again while it matches.
# It can be executed, or sourced to get the bootstrap_venv function.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POETRY_VENV="$VENV_DIR/.poetry"
POETRY_BIN="$POETRY_VENV/bin/poetry"
BOOTSTRAP_STAMP="$VENV_DIR/.bootstrap-stamp"
DOCKER_IMAGE_MARKER="$VENV_DIR/.docker-image"

# _bootstrap_hash MODE: fingerprint of what an install depends on.
_bootstrap_hash() {
    local mode="$1" py
    py="$(find_python)" || py="$VENV_PYTHON"
    "$py" - "$PROJECT_ROOT" "$mode" <<'PY'
import hashlib
import sys
from pathlib import Path

root, mode = Path(sys.argv[1]), sys.argv[2]
digest = hashlib.sha256(mode.encode())
digest.update(sys.version.split()[0].encode())
for name in ("poetry.lock", "pyproject.toml"):
    digest.update((root / name).read_bytes())
print(digest.hexdigest())
PY
}

_venv_works() {
    [[ -x "$VENV_PYTHON" ]] && "$VENV_PYTHON" -c 'import sys' >/dev/null 2>&1
}

# bootstrap_venv [--main|--dev] [--force]
bootstrap_venv() {
    local mode="dev" force=0 arg python wanted
    for arg in "$@"; do
        case "$arg" in
            --main) mode="main" ;;
            --dev) mode="dev" ;;
            --force) force=1 ;;
            *) die "bootstrap: opção desconhecida: $arg" ;;
        esac
    done

    # Inside the Docker image the environment was built by the Dockerfile (no Poetry there);
    # the Dockerfile leaves this marker in it.
    if [[ -f "$DOCKER_IMAGE_MARKER" ]] && _venv_works; then
        info "Contêiner Docker: usando o ambiente da imagem ($VENV_DIR)."
        return 0
    fi

    python="$(find_python)" ||
        die "Python 3.11, 3.12 ou 3.13 não encontrado. Instale o python3 (com o módulo venv) e tente de novo."

    if ! _venv_works; then
        [[ -e "$VENV_DIR" ]] && warn "O ambiente $VENV_DIR está quebrado: recriando."
        rm -rf "$VENV_DIR"
        info "Criando o ambiente virtual em .venv/ ($("$python" --version))"
        "$python" -m venv "$VENV_DIR" ||
            die "Falha ao criar .venv. No Debian/Ubuntu: sudo apt-get install python3-venv"
    fi

    wanted="$(_bootstrap_hash "$mode")"
    if ((force == 0)) && [[ -f "$BOOTSTRAP_STAMP" && "$(cat "$BOOTSTRAP_STAMP")" == "$wanted" ]]; then
        ok "Dependências em dia (.venv, modo $mode)."
        return 0
    fi

    if ! { [[ -x "$POETRY_BIN" ]] && "$POETRY_BIN" --version >/dev/null 2>&1; }; then
        info "Instalando o Poetry 2 em .venv/.poetry"
        rm -rf "$POETRY_VENV"
        "$python" -m venv "$POETRY_VENV"
        "$POETRY_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "poetry>=2,<3"
    fi

    local -a groups=(--with dev)
    [[ "$mode" == "main" ]] && groups=(--only main)
    info "Instalando as dependências com o Poetry (${groups[*]})"
    # VIRTUAL_ENV from an activated shell would make Poetry install somewhere else.
    (
        cd "$PROJECT_ROOT"
        unset VIRTUAL_ENV
        POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_VIRTUALENVS_CREATE=true \
            "$POETRY_BIN" install --no-root "${groups[@]}" --no-interaction
    ) || die "poetry install falhou (veja a saída acima)."
    printf '%s\n' "$wanted" >"$BOOTSTRAP_STAMP"
    ok "Dependências instaladas em .venv/ (modo $mode)."
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    bootstrap_venv "$@"
fi
