"""Volume data for the benchmark: a clinic's agenda over several years, loaded in SQL.

``dataset_load`` writes, through the configured Django connection (PostgreSQL only):

- ``professionals`` professionals, each working Monday to Friday 08:00-12:00 and 13:00-18:00
  (``WorkingHoursRule`` rows say so) in 30, 45 or 60-minute slots (one length per professional);
- ``per_professional`` appointments each, on distinct slots of that grid spread over ``years``
  years from ``first_day`` (so no two appointments of a professional overlap, and every one is
  inside working hours);
- patients reused across appointments (each professional has a clientele of about 50);
- a share billed (``status`` other than ``NOT_BILLED``), most of them paid, each with its
  ``payments.Charge`` row and a ``CHARGE`` line in the ``PaymentTransaction`` ledger;
- a staff user (``BENCH_USERNAME`` / ``BENCH_PASSWORD``) the runner logs in with.

Appointments, charges and ledger lines are made by ``INSERT ... SELECT generate_series``; the
patients (CPFs need check digits) by ``COPY``. For large loads the secondary indexes and the
no-overlap exclusion constraint are dropped first and rebuilt after (which also proves, once
more, that no two appointments overlap). ``VACUUM (ANALYZE)`` at the end.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from core.seeding import cpf_with_check_digits

from .datasets import BENCH_PASSWORD, BENCH_USERNAME

FIRST_DAY = dt.date(2023, 1, 2)  # a Monday
YEARS = 5
#: Slot lengths, by professional (ordinal % 3).
SLOT_LENGTHS = (30, 45, 60)
MORNING = (8 * 60, 12 * 60)
AFTERNOON = (13 * 60, 18 * 60)
#: Share of appointments with a patient, and of those, the share billed (percent).
WITH_PATIENT_PERCENT = 90
BILLED_PERCENT = 65
PATIENTS_PER_PROFESSIONAL = 50
#: Above this many appointments, indexes are dropped during the load and rebuilt after.
REBUILD_INDEXES_ABOVE = 100_000
#: Tables whose secondary indexes (and exclusion constraints) are rebuilt after a large load.
BULK_TABLES = ("appointments_appointment", "payments_charge", "payments_paymenttransaction")

FIRST_NAMES = (
    ("Dra.", "Ana"),
    ("Dr.", "Bruno"),
    ("Dra.", "Carla"),
    ("Dr.", "Daniel"),
    ("Dra.", "Eduarda"),
    ("Dr.", "Felipe"),
    ("Dra.", "Gabriela"),
    ("Dr.", "Henrique"),
    ("Dra.", "Isabela"),
    ("Dr.", "João"),
    ("Dra.", "Juliana"),
    ("Dr.", "Lucas"),
    ("Dra.", "Mariana"),
    ("Dr.", "Nelson"),
    ("Dra.", "Patrícia"),
    ("Dr.", "Rafael"),
    ("Dra.", "Sofia"),
    ("Dr.", "Tiago"),
    ("Dra.", "Vanessa"),
    ("Dr.", "Vinícius"),
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
)
PROFESSIONS = (
    "Psicóloga",
    "Cardiologista",
    "Nutricionista",
    "Fisioterapeuta",
    "Dermatologista",
    "Pediatra",
    "Fonoaudióloga",
)


@dataclass(frozen=True)
class LoadResult:
    professionals: int
    patients: int
    appointments: int
    charges: int
    seconds: float


def slots_per_day(length: int) -> int:
    """Slots of ``length`` minutes in the morning and afternoon shifts."""
    return sum((end - start) // length for start, end in (MORNING, AFTERNOON))


def weekdays_in(years: int) -> int:
    return (years * 365 // 7) * 5


def _sql_text_array(values: tuple[str, ...]) -> str:
    quoted = ",".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"ARRAY[{quoted}]::text[]"


def _professionals_sql(count: int) -> str:
    titles = _sql_text_array(tuple(title for title, _ in FIRST_NAMES))
    firsts = _sql_text_array(tuple(name for _, name in FIRST_NAMES))
    lasts = _sql_text_array(LAST_NAMES)
    professions = _sql_text_array(PROFESSIONS)
    return f"""
        INSERT INTO professionals_professional (
            preferred_name, profession, address, contact, created_at, updated_at,
            address_number, asaas_account_id, asaas_created_at, asaas_updated_at,
            asaas_wallet_id, cpf_cnpj, email, income_value, integration_error,
            integration_status, phone, postal_code, province, split_percentage
        )
        SELECT
            ({titles})[1 + n %% {len(FIRST_NAMES)}]
                || ' ' || ({firsts})[1 + n %% {len(FIRST_NAMES)}]
                || ' ' || ({lasts})[1 + (n * 7 + n / {len(FIRST_NAMES)}) %% {len(LAST_NAMES)}]
                || ' ' || lpad(n::text, 4, '0'),
            ({professions})[1 + (n * 3) %% {len(PROFESSIONS)}],
            'Rua Exemplo, ' || n || ' - São Paulo, SP',
            'profissional' || n || '@exemplo.com.br',
            %(first_created)s + n * interval '1 hour',
            %(first_created)s + n * interval '1 hour',
            (100 + n)::text,
            'acc_bench_' || n,
            %(first_created)s + n * interval '1 hour',
            %(first_created)s + n * interval '1 hour',
            'wal_bench_' || n,
            '',
            NULL,
            8000.00,
            '',
            'ACTIVE',
            '',
            '01001000',
            'Centro',
            85.00
        FROM generate_series(0, {count - 1}) AS n
        ORDER BY n
    """


def _patients_copy(cursor: object, count: int, created: dt.datetime) -> None:
    buffer = io.StringIO()
    stamp = created.isoformat()
    for n in range(count):
        _, first = FIRST_NAMES[(n * 3) % len(FIRST_NAMES)]
        last = LAST_NAMES[(n * 11 // len(FIRST_NAMES)) % len(LAST_NAMES)]
        cpf = cpf_with_check_digits(f"{200_000_000 + n:09d}")
        buffer.write(
            f"Paciente {first} {last} {n:06d}\t{cpf}\tpaciente{n}@exemplo.com.br\t"
            f"1199{n % 10_000_000:07d}\tcus_bench_{n}\t{stamp}\t{stamp}\n"
        )
    raw = cursor.cursor  # type: ignore[attr-defined]  # psycopg's cursor under Django's
    sql = (
        "COPY appointments_patient (name, cpf, email, phone, asaas_customer_id, created_at, "
        "updated_at) FROM STDIN"
    )
    with raw.copy(sql) as copy:
        copy.write(buffer.getvalue())


#: One row per (professional, n): the n-th of its appointments, placed on the grid of its
#: slot length. ``stride`` slots are available per appointment; each takes one of them.
_APPOINTMENTS_SQL = """
    WITH pro AS (
        SELECT id, (row_number() OVER (ORDER BY id) - 1) AS ord FROM professionals_professional
    ),
    grid AS (
        SELECT pro.id AS pid, pro.ord, len.length, len.per_day,
               (len.per_day::bigint * %(weekdays)s) AS capacity
        FROM pro
        JOIN (VALUES (0, 30, %(per_day_30)s), (1, 45, %(per_day_45)s), (2, 60, %(per_day_60)s))
            AS len(kind, length, per_day) ON len.kind = pro.ord %% 3
    ),
    raw AS (
        SELECT grid.*, n,
               ((grid.pid * 1103515245 + n * 12345 + 2531011) %% 2147483629) AS h
        FROM grid CROSS JOIN generate_series(0, %(per_professional)s - 1) AS n
    ),
    placed AS (
        SELECT raw.*,
               (floor(n * (capacity::float8 / %(per_professional)s))::bigint
                + h %% greatest(1, floor(capacity::float8 / %(per_professional)s)::bigint))
                   AS slot,
               (h * 48271) %% 2147483629 AS h2,
               (h * 69621) %% 2147483629 AS h3
        FROM raw
    ),
    timed AS (
        SELECT placed.*,
               slot / per_day AS weekday_index,
               slot %% per_day AS slot_of_day
        FROM placed
    ),
    dated AS (
        SELECT timed.*,
               ((%(first_day)s::date
                 + ((weekday_index / 5) * 7 + weekday_index %% 5)::int)::timestamp
                + (CASE WHEN slot_of_day < (240 / length)
                        THEN 480 + slot_of_day * length
                        ELSE 780 + (slot_of_day - 240 / length) * length END)
                  * interval '1 minute') AT TIME ZONE %(time_zone)s AS starts
        FROM timed
    ),
    shaped AS (
        SELECT dated.*,
               starts < %(now)s AS past,
               (h2 %% 100) < %(with_patient)s AS has_patient,
               (h2 %% 100) < %(billed)s AS billed,
               CASE WHEN starts < %(now)s THEN
                   CASE WHEN h3 %% 100 < 80 THEN 'COMPLETED'
                        WHEN h3 %% 100 < 85 THEN 'NO_SHOW'
                        WHEN h3 %% 100 < 95 THEN 'CANCELLED_BY_PATIENT'
                        ELSE 'CANCELLED_BY_PROFESSIONAL' END
               ELSE
                   CASE WHEN h3 %% 100 < 70 THEN 'SCHEDULED'
                        WHEN h3 %% 100 < 93 THEN 'CONFIRMED'
                        WHEN h3 %% 100 < 97 THEN 'CANCELLED_BY_PATIENT'
                        ELSE 'CANCELLED_BY_PROFESSIONAL' END
               END AS booking,
               (ARRAY[150.00, 180.00, 200.00, 250.00, 300.00]::numeric[])[1 + (h3 / 100) %% 5]
                   AS price,
               CASE WHEN starts < %(now)s
                    THEN starts - (1 + h %% 30) * interval '1 day'
                    ELSE least(starts - interval '1 day',
                               %(now)s - (h %% 43200) * interval '1 minute') END AS created
        FROM dated
    ),
    paid AS (
        SELECT shaped.*,
               CASE WHEN NOT billed THEN 'NOT_BILLED'
                    WHEN booking LIKE 'CANCELLED%%' THEN 'CANCELED'
                    WHEN past THEN 'PAID'
                    WHEN h3 %% 3 = 0 THEN 'PAID'
                    ELSE 'PROCESSING' END AS pay
        FROM shaped
    )
    INSERT INTO appointments_appointment (
        date, duration_minutes, "end", created_at, updated_at, professional_id,
        asaas_invoice_url, asaas_payment_id, due_date, last_payment_error, paid_at,
        payment_attempts, payment_method, platform_amount, professional_amount,
        refunded_amount, status, total_amount, patient_id, booking_changed_at,
        booking_status, reminder_sent_at
    )
    SELECT
        starts,
        length,
        starts + length * interval '1 minute',
        created,
        least(%(now)s, greatest(created, CASE WHEN booking = 'SCHEDULED' THEN created
                                              WHEN past THEN starts + length * interval '1 minute'
                                              ELSE created + interval '1 hour' END)),
        pid,
        CASE WHEN billed THEN 'https://sandbox.asaas.com/i/bench' || pid || 'x' || n ELSE '' END,
        CASE WHEN billed THEN 'pay_bench_' || pid || '_' || n END,
        CASE WHEN billed THEN (starts AT TIME ZONE %(time_zone)s)::date END,
        '',
        CASE WHEN pay = 'PAID' THEN
            CASE WHEN past THEN starts - interval '12 hours'
                 ELSE least(%(now)s, created + interval '1 hour') END END,
        CASE WHEN billed THEN 1 ELSE 0 END,
        CASE WHEN billed THEN (ARRAY['PIX', 'BOLETO', 'CREDIT_CARD'])[1 + h %% 3] ELSE '' END,
        CASE WHEN billed THEN round(price * 0.15, 2) END,
        CASE WHEN billed THEN price - round(price * 0.15, 2) END,
        0.00,
        pay,
        CASE WHEN billed THEN price END,
        CASE WHEN has_patient THEN %(first_patient)s
             + (ord * %(clientele)s + h2 / 100 %% %(clientele)s) %% %(patients)s END,
        CASE WHEN booking = 'SCHEDULED' THEN NULL
             WHEN past AND booking IN ('COMPLETED', 'NO_SHOW')
                 THEN least(%(now)s, starts + length * interval '1 minute')
             ELSE least(%(now)s, created + interval '1 hour') END,
        booking,
        CASE WHEN past THEN starts - interval '24 hours' END
    FROM paid
    ORDER BY pid, n
"""

_CHARGES_SQL = """
    INSERT INTO payments_charge (
        appointment_id, status, asaas_status, asaas_payment_id, invoice_url, value, net_value,
        platform_amount, professional_amount, refunded_amount, chargeback_status, split_status,
        attempts, last_error, paid_at, reread_only, last_synced_at, version, created_at,
        updated_at
    )
    SELECT id,
           CASE status WHEN 'PAID' THEN 'PAID' WHEN 'PROCESSING' THEN 'AWAITING_PAYMENT'
                ELSE 'CANCELED' END,
           CASE status WHEN 'PAID' THEN 'RECEIVED' WHEN 'PROCESSING' THEN 'PENDING'
                ELSE 'DELETED' END,
           asaas_payment_id, asaas_invoice_url, total_amount, total_amount - 1.99,
           platform_amount, professional_amount, 0.00, '', '', 1, '', paid_at, false,
           updated_at, 1, created_at, updated_at
    FROM appointments_appointment
    WHERE status <> 'NOT_BILLED'
    ORDER BY id
"""

_LEDGER_SQL = """
    INSERT INTO payments_paymenttransaction (
        transaction_type, status, amount, asaas_payment_id, error_message, created_at,
        appointment_id, professional_id, request_id
    )
    SELECT 'CHARGE', 'SUCCESS', total_amount, asaas_payment_id, '', created_at, id,
           professional_id, ''
    FROM appointments_appointment
    WHERE status <> 'NOT_BILLED'
    ORDER BY id
"""

_WORKING_HOURS_SQL = """
    INSERT INTO professionals_workinghoursrule (
        weekday, start_time, end_time, slot_minutes, breaks, created_at, updated_at,
        professional_id
    )
    SELECT weekday, '08:00', '18:00', (ARRAY[30, 45, 60])[1 + pro.ord %% 3],
           '[{"start": "12:00", "end": "13:00"}]'::jsonb, %(now)s, %(now)s, pro.id
    FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) AS ord
          FROM professionals_professional) AS pro
    CROSS JOIN generate_series(0, 4) AS weekday
    ORDER BY pro.id, weekday
"""


def _droppable(cursor: object, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """``CREATE INDEX`` statements of the secondary indexes of ``table`` (not backing a
    constraint), and its exclusion constraints as (name, definition)."""
    cursor.execute(  # type: ignore[attr-defined]
        """
        SELECT pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]  # type: ignore[attr-defined]
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'x'",
        [table],
    )
    return indexes, list(cursor.fetchall())  # type: ignore[attr-defined]


def _index_name(definition: str) -> str:
    # "CREATE [UNIQUE] INDEX name ON ..."
    words = definition.split()
    return words[words.index("INDEX") + 1]


def dataset_load(
    *,
    professionals: int,
    per_professional: int,
    years: int = YEARS,
    first_day: dt.date = FIRST_DAY,
    now: dt.datetime | None = None,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], object] = lambda message: None,
) -> LoadResult:
    """Load the data set into the (empty) configured database; see the module docstring."""
    import time

    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    weekdays = weekdays_in(years)
    capacity = min(slots_per_day(length) for length in SLOT_LENGTHS) * weekdays
    if per_professional > capacity:
        raise ValueError(f"{per_professional} appointments do not fit in {capacity} slots")
    total = professionals * per_professional
    if rebuild_indexes is None:
        rebuild_indexes = total > REBUILD_INDEXES_ABOVE
    patients = max(PATIENTS_PER_PROFESSIONAL, professionals * PATIENTS_PER_PROFESSIONAL)
    patients = min(patients, max(PATIENTS_PER_PROFESSIONAL, total // 10))
    clientele = min(PATIENTS_PER_PROFESSIONAL, patients)
    from django.conf import settings

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM appointments_appointment")
        if cursor.fetchone()[0]:
            raise RuntimeError("the database already has appointments: load into an empty one")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at each statement's
        # end here, so nothing is pending when the indexes are rebuilt.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if rebuild_indexes:
            # Large loads skip the per-row foreign-key triggers (the rows are generated from the
            # referenced tables; the small loads of the tests keep every check on).
            cursor.execute("SET LOCAL session_replication_role = replica")
        dropped: list[tuple[str, list[str], list[tuple[str, str]]]] = []
        if rebuild_indexes:
            for table in BULK_TABLES:
                indexes, exclusions = _droppable(cursor, table)
                for definition in indexes:
                    cursor.execute(f'DROP INDEX "{_index_name(definition)}"')
                for name, _definition in exclusions:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                dropped.append((table, indexes, exclusions))
            progress("índices secundários removidos durante a carga")
        first_created = dt.datetime.combine(first_day, dt.time(9), dt.UTC) - dt.timedelta(days=60)
        cursor.execute(_professionals_sql(professionals), {"first_created": first_created})
        cursor.execute(_WORKING_HOURS_SQL, {"now": now})
        progress(f"{professionals} profissionais e seus horários de atendimento")
        _patients_copy(cursor, patients, first_created)
        cursor.execute("SELECT min(id) FROM appointments_patient")
        first_patient = cursor.fetchone()[0]
        progress(f"{patients} pacientes")
        cursor.execute(
            _APPOINTMENTS_SQL,
            {
                "weekdays": weekdays,
                "per_day_30": slots_per_day(30),
                "per_day_45": slots_per_day(45),
                "per_day_60": slots_per_day(60),
                "per_professional": per_professional,
                "first_day": first_day,
                "time_zone": settings.TIME_ZONE,
                "now": now,
                "with_patient": WITH_PATIENT_PERCENT,
                "billed": min(BILLED_PERCENT, WITH_PATIENT_PERCENT),
                "first_patient": first_patient,
                "clientele": clientele,
                "patients": patients,
            },
        )
        appointments = cursor.rowcount
        progress(f"{appointments} consultas")
        cursor.execute(_CHARGES_SQL)
        charges = cursor.rowcount
        cursor.execute(_LEDGER_SQL)
        progress(f"{charges} cobranças e lançamentos")
        if rebuild_indexes:
            cursor.execute("SET LOCAL session_replication_role = origin")
        for table, indexes, exclusions in dropped:
            for definition in indexes:
                cursor.execute(definition)
            for name, definition in exclusions:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        if dropped:
            progress("índices e restrição de não sobreposição recriados")
    _staff_user()
    with connection.cursor() as cursor:
        # VACUUM also sets the visibility map (index-only scans, as autovacuum would have
        # done on a live table); it cannot run inside a transaction (the tests' one).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    progress("VACUUM/ANALYZE feito")
    return LoadResult(
        professionals=professionals,
        patients=patients,
        appointments=appointments,
        charges=charges,
        seconds=math.floor((time.perf_counter() - started) * 10) / 10,
    )


def _staff_user() -> None:
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    user.is_staff = True
    user.is_superuser = True
    user.set_password(BENCH_PASSWORD)
    user.save()
