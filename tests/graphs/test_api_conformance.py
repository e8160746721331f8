"""API v1 answers as its published OpenAPI schema says (issue 12, defect 8), checked by a bounded
schemathesis pass: every operation, a few generated requests each, every answer validated against the
schema (status documented, body and content type as promised, no 5xx).

Not checked: that every schema-valid request is accepted (schemathesis's positive_data_acceptance). The
schema gives the shape of a time or an address, not Go's ranges (month 13) nor the connection views'
vocabulary (protocol names, CIDRs), so such requests are rightly refused with a 400 the schema documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import positive_data_acceptance

from tests.users import permission_grant

EXAMPLES_PER_OPERATION = 12  # bounded: the whole pass takes seconds
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]  # an invalid one fails here

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_connection_kept() -> Iterator[None]:
    """The WSGI app closes the database connection after each request, as in production; in a test that
    connection holds the test's transaction (PostgreSQL). Django's test client keeps it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(django_user_model: type[User]) -> str:
    user = django_user_model.objects.create_user("schemathesis", password="correct horse battery")
    permission_grant(user, "graphs.change_graph")
    return Token.objects.create(user=user).key


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
def test_every_answer_of_api_v1_matches_its_published_schema(operation: Any, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,  # no example database written into the checkout
        derandomize=True,  # the same requests on every run: a failure in CI reproduces locally
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        # The WSGI transport does not undo Content-Encoding (HTTP clients do); answers are gzipped only
        # for clients that ask for it (tests/graphs/test_downloads.py).
        headers = {"Authorization": f"Token {token}", "Accept-Encoding": "identity"}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    call()


def test_page_zero_is_a_400_naming_the_page(client: Any, token: str) -> None:
    response = client.get("/api/v1/graphs/?page=0", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400
    assert response.json() == {"page": ["a page number from 1"]}


def test_an_unknown_api_path_is_a_json_404(client: Any, token: str) -> None:
    response = client.get("/api/v1/graphs/not-a-uuid/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert client.get("/not/a/route").content == b"404 page not found\n"  # Go's, outside /api/


def test_the_schema_says_a_window_time_is_not_blank() -> None:
    window = SCHEMA.raw_schema["components"]["schemas"]["WindowInput"]["properties"]
    assert window["start"]["minLength"] == window["stop"]["minLength"] == 1
