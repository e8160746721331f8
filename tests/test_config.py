"""Configuration from the environment: the seed's names and units, checked by Django system checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from ops.config import config_get
from ops.env import config_load


def load(**env: str) -> tuple[Any, list[str]]:
    return config_load(env, Path("/data"))


def test_embedded_defaults_need_no_variables() -> None:
    config, errors = load()
    assert errors == []
    assert (config.http_host, config.http_port) == ("0.0.0.0", 8080)
    assert config.flow_logs_path == Path("/data/flowlogs")
    assert config.stream_appliance_endpoint == config.digester_endpoint == ""


def test_the_seeds_variables_keep_their_names_and_millisecond_units() -> None:
    config, errors = load(
        GRAPH_PROGRESS_TIMEOUT="10000",
        DIGESTER_POLLING_INTERVAL="1000",
        DIGESTER_POLLING_TIMEOUT="-1",
        RUNTIME_HTTPSERVER_ADDRESS="127.0.0.1:9090",
        STREAM_APPLIANCE_ENDPOINT="http://bus.internal/",
        DIGESTER_ENDPOINT="https://digesterd.internal:8443/",
        USE_IAM="False",
        AWS_ACCESS_KEY_ID="AKIA",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert errors == []
    assert config.graph_progress_timeout_ms == 10000
    assert config.digester_polling_timeout_ms == -1
    assert (config.http_host, config.http_port) == ("127.0.0.1", 9090)
    assert config.use_iam is False


def test_scan_lists_drop_empty_entries_and_keep_every_entry() -> None:
    config, _ = load(VPC_FLOW_LOGS_SCAN_ACCOUNTS=",a,,b,", VPC_FLOW_LOGS_SCAN_REGIONS="us-east-1, eu-west-1")
    assert config.scan_accounts == ("a", "b")
    assert config.scan_regions == ("us-east-1", "eu-west-1")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"GRAPH_PROGRESS_TIMEOUT": "10s"},
            "GRAPH_PROGRESS_TIMEOUT='10s' is not a whole number of milliseconds",
        ),
        ({"USE_IAM": "maybe"}, "USE_IAM='maybe' is not a boolean"),
        ({"DIGESTER_ENDPOINT": "n/a"}, "DIGESTER_ENDPOINT='n/a' is not an http(s) URL"),
        (
            {"RUNTIME_HTTPSERVER_ADDRESS": "8080"},
            "RUNTIME_HTTPSERVER_ADDRESS='8080' is not a host:port address",
        ),
        ({"VPC_MAX_CONCURRENT_PREFETCH": "0"}, "VPC_MAX_CONCURRENT_PREFETCH=0 must be at least 1"),
        ({"GRAPH_STORAGE_BUCKET": "graphs"}, "GRAPH_STORAGE_BUCKET and GRAPH_PROGRESS_BUCKET go together"),
        ({"AWS_ACCESS_KEY_ID": "AKIA"}, "AWS_SECRET_ACCESS_KEY is not"),
        ({"VPC_FLOW_LOGS_BUCKET": "logs", "VPC_FLOW_LOGS_PATH": "/x"}, "not both"),
    ],
)
def test_bad_values_are_reported_naming_the_variable(env: dict[str, str], fragment: str) -> None:
    _, errors = load(**env)
    assert any(fragment in error for error in errors), errors


def test_system_checks_report_bad_values_instead_of_a_traceback(set_env: Any) -> None:
    set_env(GRAPH_PROGRESS_TIMEOUT="soon")
    with pytest.raises(SystemCheckError, match="GRAPH_PROGRESS_TIMEOUT='soon'"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match="GRAPH_PROGRESS_TIMEOUT"):
        config_get()


def test_system_checks_pass_on_embedded_defaults() -> None:
    call_command("check")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DATABASE_URL": "bogus"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_CONN_MAX_AGE": "x"}, "DATABASE_CONN_MAX_AGE='x' is not a whole number"),
        ({"GRAPHERD_WORKERS": "0"}, "GRAPHERD_WORKERS=0 must be at least 1"),
    ],
)
def test_database_and_worker_settings_are_checked_too(env: dict[str, str], fragment: str) -> None:
    _, errors = load(**env)
    assert any(fragment in error for error in errors), errors


def test_a_bad_database_url_never_crashes_settings_and_refuses_every_query() -> None:
    from grapherd_site.settings import _database

    def _database_of(url: str) -> dict[str, Any]:
        return _database(load(DATABASE_URL=url)[0])

    assert _database_of("bogus") == {"ENGINE": "django.db.backends.dummy"}
    assert _database_of("postgres://u@h:5432/db")["NAME"] == "db"


def test_an_in_memory_sqlite_database_is_refused_as_it_cannot_be_shared() -> None:
    _, errors = load(DATABASE_URL="sqlite://")
    assert any("in-memory SQLite" in error for error in errors), errors
