"""Request metrics go to a DogStatsD agent as RUNTIME_STATS_* say (a real UDP socket stands in for it)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ops.env import config_load
from ops.metrics import stats_client


@pytest.fixture
def agent(set_env: Any) -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    set_env(
        RUNTIME_STATS_OUTPUT="DATADOG",
        RUNTIME_STATS_DATADOG_ADDRESS=f"127.0.0.1:{listener.getsockname()[1]}",
        RUNTIME_STATS_DATADOG_TAGS="service:grapherd,env:test",
        RUNTIME_STATS_DATADOG_FLUSHINTERVAL="50ms",
    )
    yield listener
    listener.close()


@pytest.mark.django_db
def test_each_request_is_counted_and_timed_with_route_method_and_status(
    client: Client, agent: socket.socket
) -> None:
    client.get("/?start=bad&stop=bad")
    client_ = stats_client()
    assert client_ is not None
    client_.flush()
    received = agent.recv(65536).decode()
    assert "http.server.request:1|c|#route:root,method:GET,status:400,service:grapherd,env:test" in received
    assert "http.server.request.duration:" in received


def test_null_turns_metrics_off_and_the_readmes_nullstat_is_accepted() -> None:
    for value in ("NULL", "NULLSTAT", "null"):
        config, errors = config_load({"RUNTIME_STATS_OUTPUT": value}, Path("/data"))
        assert (config.stats_output, errors) == ("NULL", [])


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"RUNTIME_STATS_OUTPUT": "STATSD"},
            "RUNTIME_STATS_OUTPUT='STATSD' must be one of DATADOG, NULL, NULLSTAT",
        ),
        ({"RUNTIME_STATS_DATADOG_FLUSHINTERVAL": "10"}, "is not a duration like 10s"),
        (
            {"RUNTIME_STATS_DATADOG_ADDRESS": "agent"},
            "RUNTIME_STATS_DATADOG_ADDRESS='agent' is not a host:port",
        ),
    ],
)
def test_bad_stats_settings_are_reported(env: dict[str, str], fragment: str) -> None:
    _, errors = config_load(env, Path("/data"))
    assert any(fragment in error for error in errors), errors


def test_go_durations_are_read_in_seconds() -> None:
    config, errors = config_load({"RUNTIME_STATS_DATADOG_FLUSHINTERVAL": "1m30.5s"}, Path("/d"))
    assert (config.stats_flush_s, errors) == (90.5, [])


def test_metrics_are_off_when_nothing_configures_them() -> None:
    config, errors = config_load({}, Path("/data"))
    assert (config.stats_output, errors) == ("NULL", [])


@pytest.mark.parametrize(
    "env",
    [
        {"RUNTIME_STATS_OUTPUT": "DATADOG"},
        {"RUNTIME_STATS_DATADOG_ADDRESS": "agent.internal:8125"},
    ],
)
def test_naming_the_output_or_an_agent_turns_metrics_on(env: dict[str, str]) -> None:
    config, errors = config_load(env, Path("/data"))
    assert (config.stats_output, errors) == ("DATADOG", [])


def test_no_statsd_client_is_made_by_default(grapherd_env: dict[str, str]) -> None:
    from ops.config import config_reset

    grapherd_env.pop("RUNTIME_STATS_OUTPUT")  # the test default; an unconfigured service sets nothing
    config_reset()
    assert stats_client() is None
