"""OpenAPI schema and the documentation pages (served with local assets, no CDN)."""

from __future__ import annotations

import inspect
import io
import json
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from appointments.serializers import README_APPOINTMENT
from professionals.serializers import README_PROFESSIONAL

LIST_PARAMETERS = {
    "/api/professionals/": {"search", "profession", "ordering", "page", "page_size"},
    "/api/appointments/": {
        "professional",
        "date",
        "date_start",
        "date_end",
        "start_date",
        "end_date",
        "ordering",
        "page",
        "page_size",
    },
}
DETAIL_PATHS = ("/api/professionals/{id}/", "/api/appointments/{id}/")
PORTUGUESE_VERBS = ("Listar", "Cadastrar", "Agendar", "Detalhar", "Atualizar", "Excluir")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_schema_is_openapi_3(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Medical API"
    assert schema["info"]["version"]


def test_schema_yaml_is_served_by_default() -> None:
    response = Client().get("/api/schema/")

    assert response.status_code == 200
    assert b"openapi: 3." in response.content


def test_every_endpoint_is_documented(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for path in LIST_PARAMETERS:
        assert set(paths[path]) >= {"get", "post"}
    for path in DETAIL_PATHS:
        assert set(paths[path]) >= {"get", "put", "patch", "delete"}
    assert not [p for p in paths if not p.startswith("/api/")]


@pytest.mark.parametrize("path", list(LIST_PARAMETERS))
def test_every_list_parameter_is_documented(schema: dict[str, Any], path: str) -> None:
    parameters = schema["paths"][path]["get"]["parameters"]
    names = {parameter["name"] for parameter in parameters}

    assert names >= LIST_PARAMETERS[path]
    for parameter in parameters:
        assert parameter["in"] == "query"
        assert parameter["schema"].get("type") in {"string", "integer", "number", "array"}
        assert not parameter.get("required", False), parameter["name"]


def test_every_list_parameter_has_a_description_and_ids_are_integers(
    schema: dict[str, Any],
) -> None:
    for path in LIST_PARAMETERS:
        for parameter in schema["paths"][path]["get"]["parameters"]:
            assert parameter.get("description"), (path, parameter["name"])
    parameters = schema["paths"]["/api/appointments/"]["get"]["parameters"]
    (professional,) = [p for p in parameters if p["name"] == "professional"]
    assert professional["schema"]["type"] == "integer"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/professionals/", {"preferred_name", "profession", "created_at", "updated_at"}),
        ("/api/appointments/", {"date", "created_at"}),
    ],
)
def test_ordering_values_are_enumerated(
    schema: dict[str, Any], path: str, fields: set[str]
) -> None:
    parameters = schema["paths"][path]["get"]["parameters"]
    (ordering,) = [p for p in parameters if p["name"] == "ordering"]

    assert set(ordering["schema"]["items"]["enum"]) == fields | {f"-{f}" for f in fields}


def test_page_size_is_bounded_in_the_schema(schema: dict[str, Any]) -> None:
    for path in LIST_PARAMETERS:
        (page_size,) = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"
        ]
        assert page_size["schema"]["maximum"] == 100
        assert page_size["schema"]["minimum"] == 1


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/professionals/", "get", {"200", "400"}),
        ("/api/professionals/", "post", {"201", "400", "415"}),
        ("/api/professionals/{id}/", "get", {"200", "404"}),
        ("/api/professionals/{id}/", "put", {"200", "400", "404", "415"}),
        ("/api/professionals/{id}/", "patch", {"200", "400", "404", "415"}),
        ("/api/professionals/{id}/", "delete", {"204", "404"}),
        ("/api/appointments/", "get", {"200", "400"}),
        ("/api/appointments/", "post", {"201", "400", "409", "415"}),
        ("/api/appointments/{id}/", "get", {"200", "404"}),
        ("/api/appointments/{id}/", "put", {"200", "400", "404", "409", "415"}),
        ("/api/appointments/{id}/", "patch", {"200", "400", "404", "409", "415"}),
        ("/api/appointments/{id}/", "delete", {"204", "404"}),
    ],
)
def test_error_responses_are_documented(
    schema: dict[str, Any], path: str, method: str, statuses: set[str]
) -> None:
    assert set(schema["paths"][path][method]["responses"]) >= statuses


def test_conflict_body_names_date(schema: dict[str, Any]) -> None:
    conflict = schema["paths"]["/api/appointments/"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    assert set(component["properties"]) >= {"detail", "date"}


def test_summaries_are_portuguese(schema: dict[str, Any]) -> None:
    crud_paths = set(LIST_PARAMETERS) | set(DETAIL_PATHS)
    for path, method, operation in operations(schema):
        assert operation.get("summary"), (path, method)
        assert operation.get("tags"), (path, method)
        if path in crud_paths:
            assert operation["summary"].startswith(PORTUGUESE_VERBS), (path, method)


def test_components_are_not_described_by_a_base_classs_implementation_notes(
    schema: dict[str, Any],
) -> None:
    """A serializer without a docstring of its own shows none, not the notes of the project's
    bases (``StrictModelSerializer``, ``CompiledReadMixin``)."""
    from core.api.compiled import CompiledReadMixin
    from core.api.fields import StrictModelSerializer

    notes = {
        inspect.cleandoc(base.__doc__ or "") for base in (CompiledReadMixin, StrictModelSerializer)
    }
    described = {
        name: component.get("description")
        for name, component in schema["components"]["schemas"].items()
    }
    assert not {name for name, text in described.items() if text in notes}
    assert described["PaymentTransaction"] is None  # compiled, no docstring of its own
    assert described["ProfessionalSummary"]  # its own docstring stays


def test_readme_examples_are_in_the_schema(schema: dict[str, Any]) -> None:
    def example_values(path: str) -> list[Any]:
        content = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return [example["value"] for example in content.get("examples", {}).values()]

    assert README_PROFESSIONAL in example_values("/api/professionals/")
    assert README_APPOINTMENT in example_values("/api/appointments/")


def test_readonly_fields_are_not_in_request_bodies(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    request = components["AppointmentRequest"]["properties"]
    response = components["Appointment"]["properties"]

    assert {"end", "professional_data", "id"} <= set(response)
    assert not {"end", "professional_data", "id", "created_at"} & set(request)


@pytest.mark.django_db
def test_spectacular_validates_without_warnings(tmp_path: Any) -> None:
    output = tmp_path / "schema.yml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(output),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert output.read_text(encoding="utf-8").startswith("openapi: 3.")


# --- documentation pages ---------------------------------------------------------------------


def asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_locally_served_assets(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts, "the page loads its UI from a script"
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    for url in scripts + re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html):
        if urlparse(url).netloc:
            continue  # external stylesheets are checked by the test below
        if urlparse(url).path == path and "script" in urlparse(url).query:
            continue  # Swagger UI's start-up script, served by the page's view (CSP)
        if url == "/docs-assets/redoc/bundles/redoc.standalone.js":
            assert Client().get(url).status_code == 200, url
            continue  # ReDoc's bundle with a local logo (core/api/docs.py)
        assert url.startswith(
            (static_prefix + "drf_spectacular_sidecar/", static_prefix + "core/docs/")
        ), url
        assert finders.find(url.removeprefix(static_prefix)), f"{url} is not a static file"
    for url in scripts:
        assert not urlparse(url).netloc, f"{url} is loaded from another host"
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html


def test_swagger_ui_has_no_external_url() -> None:
    html = Client().get("/api/docs/").content.decode()
    script = Client().get("/api/docs/?script=").content.decode()

    assert [url for url in asset_urls(html) if urlparse(url).netloc] == []
    assert "<script>" not in html  # the init script is a separate file (strict CSP)
    assert "<style>" not in html
    assert "/api/schema/" in script
    assert '"validatorUrl": null' in script


def test_redoc_bundle_shows_a_local_logo() -> None:
    bundle = Client().get("/docs-assets/redoc/bundles/redoc.standalone.js").content.decode()

    assert "cdn.redoc.ly" not in bundle
    assert "/static/core/docs/redoc-logo-mini.svg" in bundle
    assert len(bundle) > 500_000  # the whole ReDoc bundle


def test_bearer_is_the_first_security_scheme() -> None:
    schema = Client().get("/api/schema/?format=json").json()

    assert next(iter(schema["components"]["securitySchemes"])) == "jwtAuth"


def test_redoc_has_no_external_url() -> None:
    html = Client().get("/api/redoc/").content.decode()

    assert [url for url in asset_urls(html) if urlparse(url).netloc] == []


def test_redoc_points_at_the_schema() -> None:
    html = Client().get("/api/redoc/").content.decode()

    assert 'spec-url="/api/schema/"' in html
