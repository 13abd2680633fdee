#!/usr/bin/env bash
# setup.sh: prepares and starts the Medical API on a developer machine.
# Local mode (.venv + honcho, in the foreground) by default; Docker mode with --docker.
# Run ./setup.sh -h for the options. User-facing text is in Portuguese.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/bootstrap.sh
. scripts/bootstrap.sh

usage() {
    cat <<'EOF'
Uso: ./setup.sh [opções]

Prepara o ambiente e sobe a Medical API.

  Modo Docker (com --docker, ou respondendo "s" à pergunta feita num terminal sem -y;
  precisa de "docker info" respondendo e de docker compose V2 ou docker-compose V1):
    cria o .env, constrói a imagem, sobe db, redis, web, worker, beat e o emulador (docker compose up -d --build),
    espera o health check, aplica as migrações, semeia os dados de demonstração se o banco
    estiver vazio, cria o superusuário e mostra os links. Os contêineres ficam rodando.

  Modo local (o padrão; sempre com -y, a menos que --docker seja pedido):
    cria .venv/ com o Poetry (só precisa de python3), cria o .env a partir do .env.example
    com uma SECRET_KEY nova (um .env existente nunca é sobrescrito), espera o PostgreSQL
    se houver um configurado (senão usa SQLite em db.sqlite3), aplica as migrações, semeia
    os dados de demonstração só se o banco estiver vazio, cria o superusuário, mostra os
    links e inicia a aplicação em primeiro plano (honcho + Procfile) na porta 8000.

Opções:
  -y, --yes      não faz perguntas: usa os padrões (nunca apaga dados existentes)
  --no-start     modo local: prepara tudo mas não inicia a aplicação
  --local        modo local sem perguntar (o padrão com -y)
  --docker       força o modo Docker (falha se não houver Docker)
  -h, --help     mostra esta ajuda

Variáveis:
  PORT           porta HTTP (padrão 8000; também lida do .env)
  DATABASE_URL, REDIS_URL
                 no modo local, quando definidas no ambiente, são gravadas no .env novo

Superusuário: DJANGO_SUPERUSER_USERNAME (padrão admin) com DJANGO_SUPERUSER_PASSWORD do .env.
No modo local, com a senha vazia e DEBUG ligado, a senha é "admin" (só para desenvolvimento).
No modo Docker (configurações de produção) o setup gera uma senha aleatória no .env novo.
Os dados só são apagados com um "sim" explícito (pergunta feita apenas sem -y).
EOF
}

ASSUME_YES=0
START=1
MODE="auto"
while (($#)); do
    case "$1" in
        -y | --yes) ASSUME_YES=1 ;;
        --no-start) START=0 ;;
        --local) MODE="local" ;;
        --docker) MODE="docker" ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "opção desconhecida: $1"
            ;;
    esac
    shift
done

PORT="$(env_or_dotenv PORT)"
PORT="${PORT:-8000}"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT inválida: $PORT"

interactive() {
    ((ASSUME_YES == 0)) && [[ -t 0 ]]
}

# create_env_file MODE: .env from .env.example with fresh secrets; never touches an existing one.
create_env_file() {
    local mode="$1"
    if [[ -f .env ]]; then
        ok ".env existente mantido (não foi alterado)."
        return 0
    fi
    [[ -f .env.example ]] || die ".env.example não encontrado."
    cp .env.example .env
    chmod 600 .env
    set_dotenv_value .env SECRET_KEY "$(random_secret 50)"
    set_dotenv_value .env ASAAS_WEBHOOK_TOKEN "$(random_secret 32)"
    set_dotenv_value .env ASAAS_EMULATOR_CONTROL_TOKEN "$(random_secret 32)"
    if [[ "$mode" == "docker" ]]; then
        set_dotenv_value .env DJANGO_SUPERUSER_PASSWORD "$(random_secret 12)"
    else
        # Given in the environment: kept in .env, so processes started later use them too.
        local key
        for key in DATABASE_URL REDIS_URL; do
            if [[ -n "${!key:-}" ]]; then
                set_dotenv_value .env "$key" "${!key}"
                ok "$key do ambiente gravada no .env."
            fi
        done
    fi
    ok ".env criado a partir do .env.example com uma SECRET_KEY nova."
}

print_links() {
    local user="$1" password="$2" base="http://localhost:$PORT"
    cat <<EOF

${C_BOLD}Medical API pronta${C_RESET}
  Profissionais:   $base/api/professionals/
  Consultas:       $base/api/appointments/
  Swagger UI:      $base/api/docs/
  ReDoc:           $base/api/redoc/
  Esquema OpenAPI: $base/api/schema/
  Health check:    $base/health/
  Admin:           $base/admin/   (usuário: $user / senha: $password)

EOF
}

# ---------------------------------------------------------------------------------------------
# Local mode
# ---------------------------------------------------------------------------------------------
manage() {
    "$VENV_PYTHON" manage.py "$@"
}

local_database_has_data() {
    local answer
    answer="$(manage shell -c 'from professionals.models import Professional; print(int(Professional.objects.exists()))' 2>/dev/null | tail -n 1)"
    [[ "$answer" == "1" ]]
}

# ensure_ports_free: before anything runs, one clear message when another instance (or another
# program) holds the web or the emulator port.
ensure_ports_free() {
    local emulator_port
    emulator_port="$(env_or_dotenv ASAAS_EMULATOR_PORT)"
    emulator_port="${emulator_port:-8001}"
    if command -v flock >/dev/null 2>&1; then
        mkdir -p var
        exec 9>var/setup.lock
        flock -n 9 || die "Outro ./setup.sh já está rodando nesta pasta. Pare-o (Ctrl+C) antes de iniciar de novo."
    fi
    if tcp_open 127.0.0.1 "$PORT"; then
        die "A porta $PORT já está em uso (outro ./setup.sh ou outro programa). Pare-o ou use outra: PORT=8080 ./setup.sh -y"
    fi
    if tcp_open 127.0.0.1 "$emulator_port"; then
        die "A porta $emulator_port do emulador do Asaas já está em uso (outro ./setup.sh ou o emulador rodando). Pare-o ou use outra: ASAAS_EMULATOR_PORT=8011 ./setup.sh -y"
    fi
}

local_mode() {
    info "Modo local (sem Docker)."
    ((START == 0)) || ensure_ports_free
    bootstrap_venv --dev
    create_env_file local
    export PATH="$VENV_DIR/bin:$PATH"

    local settings
    settings="$(env_or_dotenv DJANGO_SETTINGS_MODULE)"
    export DJANGO_SETTINGS_MODULE="${settings:-core.settings.development}"

    if [[ -n "$(env_or_dotenv DATABASE_URL)" || -n "$(env_or_dotenv DB_NAME)" ]]; then
        info "PostgreSQL configurado: aguardando o banco responder (até 60 s)."
        manage wait_for_db --timeout 60 ||
            die "O PostgreSQL configurado no .env (DATABASE_URL/DB_NAME) não respondeu."
    else
        local sqlite_path
        sqlite_path="$(env_or_dotenv SQLITE_PATH)"
        info "Nenhum PostgreSQL configurado: usando SQLite (${sqlite_path:-db.sqlite3})."
    fi

    info "Aplicando as migrações."
    manage migrate --no-input

    if local_database_has_data; then
        if interactive && ask_yes_no "O banco já tem dados. Apagar TUDO e recriar os dados de demonstração?" n; then
            manage reset_db --no-input
        else
            ok "O banco já tem dados: nada foi apagado nem semeado."
        fi
    else
        info "Banco vazio: criando os dados de demonstração (5 profissionais × 3 consultas)."
        manage seed --if-empty
    fi

    info "Garantindo o superusuário."
    manage ensure_superuser

    local user password
    user="$(env_or_dotenv DJANGO_SUPERUSER_USERNAME)"
    password="$(env_or_dotenv DJANGO_SUPERUSER_PASSWORD)"
    print_links "${user:-admin}" "${password:-admin}"

    if ((START == 0)); then
        ok "Pronto (--no-start). Para iniciar: ./setup.sh -y   (ou: PATH=.venv/bin:\$PATH honcho start -f Procfile -p $PORT -e /dev/null)"
        return 0
    fi
    info "Iniciando a aplicação em http://localhost:$PORT (Ctrl+C para parar)."
    export PORT WEB_PORT="$PORT"
    # The settings read .env themselves (the process environment winning); honcho would let
    # .env override the environment (PORT included), so it gets no env file.
    exec "$VENV_DIR/bin/honcho" start -f Procfile -p "$PORT" -e /dev/null
}

# ---------------------------------------------------------------------------------------------
# Docker mode
# ---------------------------------------------------------------------------------------------
docker_mode() {
    info "Modo Docker (${COMPOSE[*]})."
    create_env_file docker

    info "Construindo a imagem e subindo os contêineres."
    "${COMPOSE[@]}" up -d --build

    info "Aguardando o PostgreSQL e a aplicação ficarem saudáveis."
    wait_container_healthy db 120 || die "O contêiner db não ficou saudável. Veja: ${COMPOSE[*]} logs db"
    if ! wait_container_healthy web 180; then
        "${COMPOSE[@]}" logs --tail 50 web >&2 || true
        die "O contêiner web não ficou saudável. Veja: ${COMPOSE[*]} logs web"
    fi

    local -a run=("${COMPOSE[@]}" exec -T)
    info "Aplicando as migrações."
    "${run[@]}" web python manage.py migrate --no-input

    local has_data
    has_data="$("${run[@]}" web python manage.py shell -c 'from professionals.models import Professional; print(int(Professional.objects.exists()))' 2>/dev/null | tail -n 1 | tr -d '\r')"
    if [[ "$has_data" == "1" ]]; then
        if interactive && ask_yes_no "O banco já tem dados. Apagar TUDO e recriar os dados de demonstração?" n; then
            ./reset_docker_db.sh -y
        else
            ok "O banco já tem dados: nada foi apagado nem semeado."
        fi
    else
        info "Banco vazio: criando os dados de demonstração."
        "${run[@]}" web python manage.py seed --if-empty
    fi

    local user password
    user="$(dotenv_get DJANGO_SUPERUSER_USERNAME)"
    password="$(dotenv_get DJANGO_SUPERUSER_PASSWORD)"
    if [[ -z "$password" ]]; then
        # Production settings refuse an empty password; this one is not saved in .env.
        password="$(random_secret 12)"
        warn "DJANGO_SUPERUSER_PASSWORD está vazia no .env: usando uma senha gerada agora (anote-a)."
    fi
    info "Garantindo o superusuário."
    "${run[@]}" -e DJANGO_SUPERUSER_PASSWORD="$password" web python manage.py ensure_superuser

    print_links "${user:-admin}" "$password"
    ok "Contêineres rodando. Logs: ${COMPOSE[*]} logs -f web   Parar: ${COMPOSE[*]} down"
}

# ---------------------------------------------------------------------------------------------
case "$MODE" in
    docker)
        docker_ready || die "Modo Docker pedido, mas o Docker (engine + compose) não responde."
        docker_mode
        ;;
    local)
        local_mode
        ;;
    auto)
        # -y (or no terminal) always means local mode, so the quick start is the same on every
        # machine; Docker only with --docker, or when asked in a terminal.
        if docker_ready && interactive && ask_yes_no "Docker disponível. Subir no modo Docker (contêineres em segundo plano, senha do admin gerada)?" n; then
            docker_mode
        else
            if docker_ready; then
                info "Docker disponível, mas o modo local é o padrão (use --docker para contêineres)."
            fi
            local_mode
        fi
        ;;
esac
