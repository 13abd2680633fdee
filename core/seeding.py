"""Data for demos and benchmarks.

``seed_demo`` creates the small, readable data set of ``reset_db`` and ``setup.sh``;
``seed_volume`` loads large volumes quickly (``COPY`` on PostgreSQL, batched inserts elsewhere).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Appointment, BookingStatus, Patient, PaymentStatus
from professionals.models import Professional

DEMO_PROFESSIONALS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Dra. Ana Silva",
        "Psicóloga",
        "Rua das Flores, 123 - São Paulo, SP",
        "ana.silva@email.com / (11) 98765-4321",
    ),
    (
        "Dr. Bruno Costa",
        "Cardiologista",
        "Av. Paulista, 1000 - São Paulo, SP",
        "bruno.costa@email.com / (11) 3456-7890",
    ),
    (
        "Dra. Carla Mendes",
        "Nutricionista",
        "Rua XV de Novembro, 50 - Curitiba, PR",
        "carla.mendes@email.com",
    ),
    (
        "Dr. Daniel Rocha",
        "Fisioterapeuta",
        "Av. Boa Viagem, 300 - Recife, PE",
        "(81) 99876-5432",
    ),
    (
        "Dra. Eduarda Lima",
        "Dermatologista",
        "Rua da Bahia, 900 - Belo Horizonte, MG",
        "eduarda.lima@email.com / (31) 3222-1100",
    ),
)

#: Demo patients (payers). CPFs are made up, with valid check digits.
DEMO_PATIENTS: tuple[tuple[str, str, str], ...] = (
    ("João Pereira", "52998224725", "joao.pereira@email.com"),
    ("Maria Oliveira", "39053344705", "maria.oliveira@email.com"),
    ("Pedro Santos", "11144477735", "pedro.santos@email.com"),
)

SLOT_MINUTES = 30
DAY_START_HOUR = 8
SLOTS_PER_DAY = 20  # 08:00 to 18:00 in 30-minute slots


def cpf_with_check_digits(base: str) -> str:
    """Complete a 9-digit base with the two CPF check digits (for made-up demo documents)."""
    digits = [int(char) for char in base]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(length + 1, 1, -1), strict=True))
        digits.append((total * 10 % 11) % 10)
    return "".join(map(str, digits))


def demo_payment_data(index: int) -> dict[str, object]:
    """What Asaas needs to open a subaccount (onboarding runs when the worker starts)."""
    return {
        "email": f"profissional{index + 1}@medical-api.example",
        "phone": f"1199876{index:04d}",
        "cpf_cnpj": cpf_with_check_digits(f"{123456780 + index:09d}"),
        "income_value": Decimal("8000.00"),
        "address_number": str(100 + index),
        "province": "Centro",
        "postal_code": "01001000",
    }


def slot_start(index: int, *, first_day: dt.date) -> dt.datetime:
    """The ``index``-th working slot from ``first_day`` (local time, 30 min, 08:00–18:00)."""
    day = first_day + dt.timedelta(days=index // SLOTS_PER_DAY)
    minutes = DAY_START_HOUR * 60 + (index % SLOTS_PER_DAY) * SLOT_MINUTES
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return timezone.make_aware(naive)


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@transaction.atomic
def seed_demo(*, appointments_per_professional: int = 3) -> list[Professional]:
    """Five professionals with three future, non-overlapping appointments each, and three
    patients. The professionals carry subaccount data, so the worker's onboarding gives
    them Asaas wallets (the local emulator's, offline) and they become chargeable."""
    professionals = [
        Professional.objects.create(
            preferred_name=name,
            profession=profession,
            address=address,
            contact=contact,
            **demo_payment_data(index),
        )
        for index, (name, profession, address, contact) in enumerate(DEMO_PROFESSIONALS)
    ]
    for name, cpf, email in DEMO_PATIENTS:
        Patient.objects.get_or_create(cpf=cpf, defaults={"name": name, "email": email})
    first_day = _tomorrow()
    for professional in professionals:
        for index in range(appointments_per_professional):
            # Every other slot, so the demo shows free gaps between bookings.
            Appointment.objects.create(
                professional=professional,
                date=slot_start(index * 2, first_day=first_day),
                duration_minutes=SLOT_MINUTES,
            )
    return professionals


def _volume_professionals(count: int) -> Iterator[Professional]:
    professions = [profession for _, profession, _, _ in DEMO_PROFESSIONALS]
    for number in range(1, count + 1):
        yield Professional(
            preferred_name=f"Profissional {number:07d}",
            profession=professions[number % len(professions)],
            address=f"Rua Exemplo, {number} - São Paulo, SP",
            contact=f"profissional{number}@exemplo.com.br",
        )


def _appointment_rows(
    professional_ids: list[int], per_professional: int, first_day: dt.date
) -> Iterator[tuple[int, dt.datetime, dt.datetime]]:
    starts = [slot_start(index, first_day=first_day) for index in range(per_professional)]
    length = dt.timedelta(minutes=SLOT_MINUTES)
    for professional_id in professional_ids:
        for start in starts:
            yield professional_id, start, start + length


def seed_volume(
    *,
    professionals: int,
    appointments_per_professional: int,
    batch_size: int = 5_000,
    progress: Callable[[int], object] | None = None,
) -> tuple[int, int]:
    """Insert ``professionals`` × ``appointments_per_professional`` rows; returns the counts.

    ``progress`` is called with the number of appointments written by each batch.
    """
    created = Professional.objects.bulk_create(
        _volume_professionals(professionals), batch_size=batch_size
    )
    ids = [professional.pk for professional in created]
    if not ids:  # backends that don't return ids from bulk_create
        newest = Professional.objects.order_by("-id").values_list("id", flat=True)
        ids = list(newest[:professionals])
    rows = _appointment_rows(ids, appointments_per_professional, _tomorrow())
    if connection.vendor == "postgresql":
        written = _copy_appointments(rows, batch_size=batch_size, progress=progress)
    else:
        written = _insert_appointments(rows, batch_size=batch_size, progress=progress)
    return len(ids), written


def _batches(
    rows: Iterator[tuple[int, dt.datetime, dt.datetime]], size: int
) -> Iterator[list[tuple[int, dt.datetime, dt.datetime]]]:
    batch: list[tuple[int, dt.datetime, dt.datetime]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_appointments(
    rows: Iterator[tuple[int, dt.datetime, dt.datetime]],
    *,
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> int:
    written = 0
    now = timezone.now()
    for batch in _batches(rows, batch_size):
        Appointment.objects.bulk_create(
            Appointment(
                professional_id=professional_id,
                date=start,
                end=end,
                duration_minutes=SLOT_MINUTES,
                created_at=now,
                updated_at=now,
            )
            for professional_id, start, end in batch
        )
        written += len(batch)
        if progress:
            progress(len(batch))
    return written


def _copy_appointments(
    rows: Iterator[tuple[int, dt.datetime, dt.datetime]],
    *,
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> int:
    """PostgreSQL ``COPY``: an order of magnitude faster than INSERTs for millions of rows."""
    table = Appointment._meta.db_table
    now = timezone.now().isoformat()
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor underneath Django's wrapper
        sql = (
            f'COPY {table} (professional_id, date, "end", duration_minutes, status, '
            "refunded_amount, payment_attempts, last_payment_error, payment_method, "
            "asaas_invoice_url, booking_status, created_at, updated_at) FROM STDIN"
        )
        for batch in _batches(rows, batch_size):
            buffer = io.StringIO()
            for professional_id, start, end in batch:
                buffer.write(
                    f"{professional_id}\t{start.isoformat()}\t{end.isoformat()}\t"
                    f"{SLOT_MINUTES}\t{PaymentStatus.NOT_BILLED}\t0.00\t0\t\t\t\t"
                    f"{BookingStatus.SCHEDULED}\t{now}\t{now}\n"
                )
            with transaction.atomic(), raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
            written += len(batch)
            if progress:
                progress(len(batch))
    return written
