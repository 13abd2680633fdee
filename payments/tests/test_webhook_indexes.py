"""The newest webhook events are read from an index, not by sorting every event received."""

from __future__ import annotations

import pytest

from core.tests.plans import plan_without
from payments.models import WebhookEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    "queryset",
    [
        pytest.param(lambda: WebhookEvent.objects.all()[:100], id="admin list (default order)"),
        pytest.param(
            lambda: WebhookEvent.objects.order_by("-received_at").values("received_at")[:1],
            id="metrics: last webhook",
        ),
    ],
)
def test_the_newest_events_are_read_backwards_from_the_index(queryset: object) -> None:
    plan = plan_without(queryset(), "seqscan")  # type: ignore[operator]
    assert "webhook_received_idx" in plan, plan
    assert "Backward" in plan, plan
    assert "Sort" not in plan, plan  # the order comes from the index
