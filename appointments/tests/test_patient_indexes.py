"""The patients list and search are served by indexes, not by reading every patient."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from appointments.selectors import patient_list_for
from core.tests.plans import plan_without

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def staff() -> object:
    return get_user_model()(username="indices", is_staff=True)


def test_the_patients_page_is_read_from_the_name_index() -> None:
    plan = plan_without(patient_list_for(user=staff())[:20], "seqscan")
    assert "patient_name_id_idx" in plan, plan
    assert "Sort" not in plan, plan  # the order comes from the index


@pytest.mark.parametrize("column", ["name", "email"])
def test_the_search_uses_the_trigram_indexes(column: str) -> None:
    searched = patient_list_for(user=staff()).filter(**{f"{column}__icontains": "silva"})
    # Plain index scans off too: the (name, id) index could walk the order and filter row by
    # row, which the planner picks on some empty-table statistics (a flaky plan).
    plan = plan_without(searched, "seqscan", "indexscan")
    assert f"patient_{column}_trgm_idx" in plan, plan
