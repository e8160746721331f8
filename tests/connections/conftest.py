"""A graph built through the API from flow logs the test writes, for the connection-view tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from connections.table import tables_forget
from graphs.tasks import graph_run_task
from jobs.window import window_parse
from tests.users import permission_grant

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
T0 = 1546300800  # 2019-01-01T00:00:00Z
START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"


@pytest.fixture(autouse=True)
def _fresh_tables() -> Iterator[None]:
    tables_forget()  # each test has its own storage folder: never answer from another test's table
    yield
    tables_forget()


@pytest.fixture
def api(django_user_model: type[User]) -> APIClient:
    client = APIClient()
    user = django_user_model.objects.create_user("analyst", password="correct horse battery")
    permission_grant(user, "graphs.change_graph")  # the tests re-run graphs
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def build_graph(api: APIClient, flowlogs_dir: Path) -> Callable[[list[str]], str]:
    """Writes the records (see `_line`) as a flow-log file and builds the window's graph."""

    def build(records: list[str]) -> str:
        lines = [HEADER, *(_line(record) for record in records)]
        (flowlogs_dir / "flows.log").write_text("\n".join(lines) + "\n")
        assert api.post("/api/v1/graphs/", {"start": START, "stop": STOP}, format="json").status_code == 202
        graph_id = window_parse(START, STOP).job_id("graph")
        graph_run_task(graph_id)
        return graph_id

    return build


def _line(record: str) -> str:
    """`account eni src dst srcport dstport protocol packets bytes action status` → a v2 record."""
    *head, action, status = record.split()
    return f"2 {' '.join(head)} {T0 + 60} {T0 + 120} {action} {status}"
