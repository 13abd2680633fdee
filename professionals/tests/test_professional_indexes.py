"""The professionals list and search are served by indexes, not by reading (and sorting)
every professional: their cost stays flat as the table grows."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import QueryDict

from core.tests.plans import plan_without
from professionals.filters import ProfessionalFilter
from professionals.selectors import professional_list_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def staff() -> object:
    return get_user_model()(username="indices-profissionais", is_staff=True)


def test_the_professionals_page_is_read_from_the_name_index() -> None:
    plan = plan_without(professional_list_for(user=staff())[:20], "seqscan")
    assert "professional_name_id_idx" in plan, plan
    assert "Sort" not in plan, plan  # the order comes from the index


def test_the_search_uses_the_trigram_indexes() -> None:
    queryset = ProfessionalFilter(
        QueryDict("search=psic"), queryset=professional_list_for(user=staff())
    ).qs
    # Nor the ordered walk of the b-tree: the trigram indexes must be able to serve.
    plan = plan_without(queryset, "seqscan", "indexscan")
    assert "professional_name_trgm_idx" in plan, plan
    assert "professional_profession_trgm_idx" in plan, plan
