"""The schema every service serves: pages, the bearer scheme, problems, and inputs that name every bad field."""

import pytest
from django.test import Client

from .test_problems import API, assert_problem


@pytest.fixture
def schema():
    response = Client().get(f"{API}/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_bearer_scheme_is_declared_and_required_where_a_token_is_read(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"]}
    assert {"bearerAuth": []} in schema["paths"][f"{API}/items"]["post"]["security"]


def test_a_list_is_documented_as_its_page_with_bounded_parameters(schema):
    operation = schema["paths"][f"{API}/items"]["get"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
    assert parameters["page"]["minimum"] == 1 and parameters["page_size"]["minimum"] == 1
    page_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][page_ref.rsplit("/", 1)[1]]
    assert page["required"] == ["count", "next", "previous", "results"]
    assert page["properties"]["results"]["type"] == "array"


def test_every_operation_documents_the_problems_it_answers(schema):
    create = schema["paths"][f"{API}/items"]["post"]["responses"]
    assert set(create) == {"201", "400", "401", "409", "429"}
    assert create["409"]["description"].startswith("Conflict. Sold out.")
    assert create["400"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/ProblemOutput")
    assert "Retry-After" in create["409"]["headers"]
    # A page past the end is a 404; a bad page number a 400.
    assert {"400", "404"} <= set(schema["paths"][f"{API}/items"]["get"]["responses"])


def test_an_input_names_every_bad_field_at_once_unknown_ones_included(client_for):
    response = client_for().post(f"{API}/items", {"name": "x" * 11, "quantity": 0, "colour": "red"},
                                 format="json")
    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"name", "quantity", "colour"}


def test_a_refusal_to_retry_later_is_a_409_with_its_code_and_retry_after():
    response = Client().get(f"{API}/not-yet")
    assert_problem(response, 409, "completion_pending")
    assert response["Retry-After"] == "2"
