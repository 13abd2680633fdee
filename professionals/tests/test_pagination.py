"""Pagination of the list endpoints and their constant number of SQL queries."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/professionals/"


def query_of(url: str | None) -> dict[str, list[str]]:
    assert url is not None
    return parse_qs(urlparse(url).query)


def test_default_page_size_is_20(api_client: APIClient) -> None:
    ProfessionalFactory.create_batch(25)

    first = api_client.get(LIST_URL)

    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert query_of(body["next"]) == {"page": ["2"]}

    second = api_client.get(body["next"])
    assert second.status_code == 200
    page_two = second.json()
    assert len(page_two["results"]) == 5
    assert page_two["next"] is None
    assert page_two["previous"] is not None
    ids = {item["id"] for item in body["results"]} | {item["id"] for item in page_two["results"]}
    assert len(ids) == 25


def test_page_size_parameter(api_client: APIClient) -> None:
    ProfessionalFactory.create_batch(7)

    response = api_client.get(LIST_URL, {"page_size": 3, "page": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert query_of(body["next"]) == {"page": ["3"], "page_size": ["3"]}
    assert query_of(body["previous"]) == {"page_size": ["3"]}


def test_page_size_up_to_100(api_client: APIClient) -> None:
    ProfessionalFactory.create_batch(101)

    response = api_client.get(LIST_URL, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


@pytest.mark.parametrize("page_size", ["0", "101", "abc", "-1", "1.5"])
def test_invalid_page_size_is_400(api_client: APIClient, page_size: str) -> None:
    ProfessionalFactory.create()

    response = api_client.get(LIST_URL, {"page_size": page_size})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]
    (message,) = response.json()["page_size"]
    assert "100" in message


@pytest.mark.parametrize("page", ["0", "abc", "1.0", "-1", " 1"])
def test_a_page_that_is_not_a_positive_integer_is_400(api_client: APIClient, page: str) -> None:
    ProfessionalFactory.create_batch(3)

    response = api_client.get(LIST_URL, {"page": page})

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


def test_a_repeated_page_is_400(api_client: APIClient) -> None:
    response = api_client.get(f"{LIST_URL}?page=1&page=2")

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


@pytest.mark.parametrize("page", ["2", "999"])
def test_out_of_range_page_is_404(api_client: APIClient, page: str) -> None:
    ProfessionalFactory.create_batch(3)

    response = api_client.get(LIST_URL, {"page": page})

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"] == "Página inválida."


def test_empty_list(api_client: APIClient) -> None:
    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# Page count + page rows. The bound is the same whatever the page size.
MAX_LIST_QUERIES = 2


@pytest.mark.parametrize(("rows", "page_size"), [(5, None), (100, 100)])
def test_list_runs_a_constant_number_of_queries(
    api_client: APIClient, django_assert_max_num_queries, rows: int, page_size: int | None
) -> None:
    ProfessionalFactory.create_batch(rows)
    params = {"page_size": str(page_size)} if page_size else {}

    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = api_client.get(LIST_URL, params)

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


def test_query_count_does_not_grow_with_the_page(api_client: APIClient) -> None:
    ProfessionalFactory.create_batch(100)

    with CaptureQueriesContext(connection) as small:
        api_client.get(LIST_URL, {"page_size": "5", "search": "Profissional"})
    with CaptureQueriesContext(connection) as large:
        api_client.get(LIST_URL, {"page_size": "100", "search": "Profissional"})

    assert len(small.captured_queries) == len(large.captured_queries)
