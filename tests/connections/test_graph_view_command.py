"""`manage.py graph_view`: the API's views and top lists from a shell, as a table, CSV or JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from graphs.services import graph_flow
from tests.connections.test_views_api import APP1, APP2, DB, RECORDS, SCANNER

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("graph_view", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_view_as_csv_lists_the_filtered_edges(build_graph: Callable[[list[str]], str]) -> None:
    graph_id = build_graph(RECORDS)
    lines = run(graph_id, "--group", "host", "--port", "5432", "--format", "csv").splitlines()
    assert lines[0] == (  # the API's CSV, labels and paths included
        "client,client_label,server,server_label,port,protocol,action,bytes_sent,bytes_received,packets,records,paths"
    )
    rows = sorted(line.split(",") for line in lines[1:])
    assert [[row[0], row[2], row[4]] for row in rows] == [[APP1, DB, "5432"], [APP2, DB, "5432"]]


def test_a_top_list_by_window_as_json(build_graph: Callable[[list[str]], str]) -> None:
    build_graph(RECORDS)
    answer = json.loads(run("--start", "2019-01-01T00:00:00Z", "--stop", "2019-01-01T01:00:00Z",
                            "--top", "rejected", "--format", "json"))  # fmt: skip
    assert [row["key"] for row in answer["rows"]] == [SCANNER]


def test_the_table_format_aligns_columns(build_graph: Callable[[list[str]], str]) -> None:
    graph_id = build_graph(RECORDS)
    lines = run(graph_id, "--top", "talkers", "--limit", "2").splitlines()
    assert lines[0].split() == ["key", "label", "bytes", "packets", "connections"]
    assert len(lines) == 3
    assert lines[1].split()[0] == lines[1][: len(lines[1].split()[0])]  # rows start with the key, padded
    assert lines[1].index(lines[1].split()[2]) == lines[0].index("bytes")  # numbers under their header


def test_a_bad_filter_names_its_option(build_graph: Callable[[list[str]], str]) -> None:
    graph_id = build_graph(RECORDS)
    with pytest.raises(CommandError, match="port: 'https'"):
        run(graph_id, "--port", "https")


@pytest.mark.parametrize(("option", "value"), [("--max-nodes", "0"), ("--limit", "-3"), ("--max-ports", "x")])
def test_a_count_out_of_range_names_its_option(
    build_graph: Callable[[list[str]], str], option: str, value: str
) -> None:
    graph_id = build_graph(RECORDS)
    with pytest.raises(CommandError, match=f"{option[2:]}.*whole number from 1"):
        run(graph_id, option, value)


def test_an_unknown_window_says_how_to_request_it() -> None:
    with pytest.raises(CommandError, match="graph_create"):
        run("--start", "2019-01-01T00:00:00Z", "--stop", "2019-01-01T01:00:00Z")


def test_the_warnings_of_an_empty_graph_go_to_stderr_and_leave_the_csv_clean(
    build_graph: Callable[[list[str]], str],
) -> None:
    graph_id = build_graph([])  # a file with the header alone
    out, err = io.StringIO(), io.StringIO()
    call_command("graph_view", graph_id, "--format", "csv", stdout=out, stderr=err)
    assert err.getvalue() == "warning: 1 file read, but they hold no flow-log record\n"
    assert out.getvalue().splitlines()[0].startswith("client,")


def test_a_window_in_common_time_forms_finds_the_same_graph(build_graph: Callable[[list[str]], str]) -> None:
    build_graph(RECORDS)
    answer = json.loads(run("--start", "2019-01-01", "--stop", "2019-01-01 01:00", "--top", "rejected",
                            "--format", "json"))  # fmt: skip
    assert [row["key"] for row in answer["rows"]] == [SCANNER]


def test_a_bad_time_is_explained_in_plain_words() -> None:
    with pytest.raises(
        CommandError, match=r'^stop "2019-01-01 01:60" is not a time: minute must be in 0\.\.59; use '
    ):
        run("--start", "2019-01-01", "--stop", "2019-01-01 01:60")


def test_a_graph_without_a_table_has_it_folded_from_its_stored_digest_in_the_shell(
    build_graph: Callable[[list[str]], str],
) -> None:
    # No web thread is held here: the command folds the table itself instead of queueing a task.
    graph_id = build_graph(RECORDS)
    for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX):
        graph_flow().store().delete(graph_id, suffix)
    answer = json.loads(run(graph_id, "--top", "rejected", "--format", "json"))
    assert [row["key"] for row in answer["rows"]] == [SCANNER]
    assert graph_flow().store().exists(graph_id, CONNECTIONS_SUFFIX)
