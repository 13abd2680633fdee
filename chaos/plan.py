"""How big each scenario is: the full campaign and the short CI version (``--quick``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    professionals: int
    patients: int
    # (a) charged bookings under Asaas faults, a worker SIGKILL and a Redis outage
    a_bookings: int
    a_clients: int
    a_window_seconds: float  # bookings are spread over this window, faults happen inside it
    a_error_rate: float
    a_latency_ms: int
    a_hang_seconds: float
    redis_outage_seconds: float
    # (b) webhook deliveries of real lifecycles
    b_deliveries: int
    b_duplicate_share: float
    b_senders: int
    # (c) one patient, one professional
    c_consecutive: int
    c_concurrent_slots: int
    c_requests_per_slot: int
    # (d) the web process down while payments are confirmed
    d_bookings: int
    d_down_seconds: float
    # how long the system gets to converge after each scenario
    converge_seconds: float


FULL = Plan(
    name="full",
    professionals=6,
    patients=30,
    a_bookings=300,
    a_clients=4,
    a_window_seconds=240,
    a_error_rate=0.3,
    a_latency_ms=150,
    a_hang_seconds=5,
    redis_outage_seconds=30,
    b_deliveries=1000,
    b_duplicate_share=0.3,
    b_senders=4,
    c_consecutive=20,
    c_concurrent_slots=10,
    c_requests_per_slot=5,
    d_bookings=30,
    d_down_seconds=60,
    converge_seconds=300,
)

QUICK = Plan(
    name="quick",
    professionals=3,
    patients=10,
    a_bookings=60,
    a_clients=4,
    a_window_seconds=35,
    a_error_rate=0.3,
    a_latency_ms=100,
    a_hang_seconds=5,
    redis_outage_seconds=10,
    b_deliveries=300,
    b_duplicate_share=0.3,
    b_senders=4,
    c_consecutive=10,
    c_concurrent_slots=4,
    c_requests_per_slot=5,
    d_bookings=8,
    d_down_seconds=20,
    converge_seconds=120,
)
