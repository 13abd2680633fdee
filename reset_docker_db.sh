#!/usr/bin/env bash
# reset_docker_db.sh: erases the PostgreSQL database of the docker compose stack and starts it
# again with the migrations, the superuser and the demo data. Run with -h for the options.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

usage() {
    cat <<'EOF'
Uso: ./reset_docker_db.sh [-y] [--flush] [--no-seed]

Apaga TODOS os dados do PostgreSQL do docker compose e recomeça do zero.

Padrão (recria o volume):
  1. para o serviço web;
  2. remove o contêiner db e o volume do banco (docker compose rm + docker volume rm);
  3. sobe db e web de novo (o web aplica as migrações ao iniciar) e espera o health check;
  4. cria o superusuário (ensure_superuser) e os dados de demonstração
     (5 profissionais × 3 consultas futuras).

Opções:
  -y, --yes    não pede confirmação
  --flush      não recria o volume: roda "manage.py reset_db --no-input" dentro do contêiner
               web (flush + migrate + superusuário + dados de demonstração; mais rápido)
  --no-seed    não cria os dados de demonstração
  -h, --help   mostra esta ajuda

Precisa de um Docker engine em execução e do docker compose (V2) ou docker-compose (V1).
EOF
}

ASSUME_YES=0
FLUSH=0
SEED=1
while (($#)); do
    case "$1" in
        -y | --yes) ASSUME_YES=1 ;;
        --flush) FLUSH=1 ;;
        --no-seed) SEED=0 ;;
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

docker_engine_answers || die "Nenhum Docker engine respondeu (docker info falhou). Este script só funciona com Docker; sem Docker use: .venv/bin/python manage.py reset_db"
detect_compose || die "docker compose (V2) ou docker-compose (V1) não encontrado."
[[ -f .env ]] || die "Arquivo .env não encontrado. Rode ./setup.sh primeiro."

if ((ASSUME_YES == 0)); then
    [[ -t 0 ]] || die "Sem terminal para confirmar: use -y para apagar sem perguntar."
    ask_yes_no "Isto apaga TODOS os dados do PostgreSQL do Docker. Continuar?" n || die "Cancelado."
fi

run=("${COMPOSE[@]}" exec -T)
password="$(dotenv_get DJANGO_SUPERUSER_PASSWORD)"
generated_password=0
if [[ -z "$password" ]]; then
    password="$(random_secret 12)"
    generated_password=1
fi

if ((FLUSH == 1)); then
    compose_container_id web >/dev/null || die "O contêiner web não está rodando. Suba com ./setup.sh"
    info "Apagando e recriando os dados com reset_db (dentro do contêiner web)."
    # reset_db refuses production settings: run it with development settings on the same DB.
    args=(--no-input)
    ((SEED == 1)) || args+=(--no-seed)
    "${run[@]}" -e DJANGO_SETTINGS_MODULE=core.settings.development -e DEBUG=False \
        -e DJANGO_SUPERUSER_PASSWORD="$password" web python manage.py reset_db "${args[@]}"
else
    info "Parando o web e removendo o contêiner e o volume do banco."
    "${COMPOSE[@]}" stop web
    db_id="$("${COMPOSE[@]}" ps -a -q db 2>/dev/null | head -n 1 || true)"
    volumes=""
    if [[ -n "$db_id" ]]; then
        # The named volume mounted at the PostgreSQL data folder, whatever the project name.
        volumes="$(docker inspect --format '{{range .Mounts}}{{if eq .Destination "/var/lib/postgresql/data"}}{{.Name}} {{end}}{{end}}' "$db_id")"
    fi
    "${COMPOSE[@]}" rm -s -f -v db
    for volume in $volumes; do
        docker volume rm "$volume" >/dev/null
        ok "Volume $volume removido."
    done

    info "Subindo db e web de novo."
    "${COMPOSE[@]}" up -d db web
    wait_container_healthy db 120 || die "O contêiner db não ficou saudável. Veja: ${COMPOSE[*]} logs db"
    wait_container_healthy web 180 || die "O contêiner web não ficou saudável. Veja: ${COMPOSE[*]} logs web"

    info "Aplicando as migrações."
    "${run[@]}" web python manage.py migrate --no-input
    info "Criando o superusuário."
    "${run[@]}" -e DJANGO_SUPERUSER_PASSWORD="$password" web python manage.py ensure_superuser
    if ((SEED == 1)); then
        info "Criando os dados de demonstração."
        "${run[@]}" web python manage.py seed
    fi
fi

user="$(dotenv_get DJANGO_SUPERUSER_USERNAME)"
ok "Banco do Docker reiniciado. Admin: ${user:-admin} / $password"
if ((generated_password == 1)); then
    warn "DJANGO_SUPERUSER_PASSWORD está vazia no .env: a senha acima foi gerada agora (anote-a)."
fi
