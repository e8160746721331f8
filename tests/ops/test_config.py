"""Configuration from the environment: the Go services' names and units, checked by Django system checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from ops.config import config_get
from ops.env import config_load, config_read


def load(**env: str) -> tuple[Any, list[str]]:
    return config_load(env, Path("/data"))


def test_embedded_defaults_need_no_variables() -> None:
    config, errors = load()
    assert errors == []
    assert (config.http_host, config.http_port) == ("0.0.0.0", 8080)
    assert config.flow_logs_path == Path("/data/flowlogs")
    assert config.stream_appliance_endpoint == config.digester_endpoint == ""


def test_the_go_services_variables_keep_their_names_and_millisecond_units() -> None:
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
        ({"GRAPHERD_DELIVERY_DELAY": "15"}, "GRAPHERD_DELIVERY_DELAY='15' is not a duration like 10s"),
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


def test_a_misspelt_variable_is_a_warning_naming_the_closest_known_one() -> None:
    _, problems = config_read({"VPC_FLOW_LOG_PATH": "/logs", "GRAPHERD_WORKER": "4"}, Path("/data"))
    assert [(p.check_id, p.message) for p in problems] == [
        (
            "grapherd.W001",
            "GRAPHERD_WORKER is not a grapherd variable and is ignored; did you mean GRAPHERD_WORKERS?",
        ),
        (
            "grapherd.W001",
            "VPC_FLOW_LOG_PATH is not a grapherd variable and is ignored; did you mean VPC_FLOW_LOGS_PATH?",
        ),
    ]


def test_variables_of_other_programs_and_the_go_runtimes_ignored_ones_are_not_reported() -> None:
    env = {
        "HOME": "/root",
        "RUNTIME_CONNSTATE_REPORTINTERVAL": "5s",
        "STREAM_APPLIANCE_TOPIC": "t",
        "PORT": "1",
    }
    assert config_read(env, Path("/data"))[1] == []


def test_a_go_variable_grapherd_does_not_support_is_a_warning_of_its_own() -> None:
    _, problems = config_read({"DIGEST_STORAGE_BUCKET_ROLE": "arn:aws:iam::1:role/r"}, Path("/data"))
    assert [p.check_id for p in problems] == ["grapherd.W002"]


def test_a_bad_boolean_is_an_error_not_silently_false() -> None:
    config, problems = config_read({"DEBUG": "ture"}, Path("/data"))
    assert [(p.check_id, p.message) for p in problems] == [
        ("grapherd.E001", "DEBUG='ture' is not a boolean; use true or false.")
    ]
    assert config.debug is False


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"USE_IAM": "maybe"}, "grapherd.E001"),
        ({"GRAPHERD_WORKERS": "two"}, "grapherd.E002"),
        ({"GRAPHERD_TASK_TIMEOUT": "0"}, "grapherd.E003"),
        ({"DIGESTER_ENDPOINT": "n/a"}, "grapherd.E004"),
        ({"RUNTIME_STATS_DATADOG_FLUSHINTERVAL": "soon"}, "grapherd.E005"),
        ({"RUNTIME_LOGGER_LEVEL": "LOUD"}, "grapherd.E006"),
        ({"RUNTIME_HTTPSERVER_ADDRESS": "8080"}, "grapherd.E007"),
        ({"DATABASE_URL": "nosuch://x"}, "grapherd.E008"),
        ({"DATABASE_URL": "sqlite://:memory:"}, "grapherd.E009"),
        ({"GRAPH_STORAGE_BUCKET": "g"}, "grapherd.E010"),
        ({"USE_IAM": "false", "VPC_FLOW_LOGS_BUCKET": "b"}, "grapherd.E011"),
        ({"AWS_ACCESS_KEY_ID": "AKIA"}, "grapherd.E012"),
        ({"VPC_FLOW_LOGS_BUCKET": "b", "VPC_FLOW_LOGS_PATH": "/x"}, "grapherd.E013"),
        ({"GRAPHERD_TASK_TIMEOUT": "60", "GRAPHERD_SVG_TIMEOUT": "60000"}, "grapherd.E018"),
        ({"GRAPHERD_TASK_TIMEOUT": "120", "GRAPHERD_JOB_LEASE": "120"}, "grapherd.E019"),
    ],
)
def test_each_rule_has_its_own_stable_check_id(env: dict[str, str], check_id: str) -> None:
    assert [p.check_id for p in config_read(env, Path("/data"))[1]] == [check_id]


def test_start_up_refuses_an_svg_render_timeout_that_does_not_fit_in_the_task_timeout(set_env: Any) -> None:
    set_env(GRAPHERD_TASK_TIMEOUT="30", GRAPHERD_SVG_TIMEOUT="45000")
    message = r"GRAPHERD_SVG_TIMEOUT \(45000 ms\) must be shorter than GRAPHERD_TASK_TIMEOUT \(30 s\)"
    with pytest.raises(SystemCheckError, match=message):
        call_command("check")


def test_settings_take_the_checked_values_so_a_bad_timeout_never_reaches_the_worker() -> None:
    env = {**os.environ, "GRAPHERD_TASK_TIMEOUT": "0", "DEBUG": "ture", "RUNTIME_LOGGER_LEVEL": "warn"}
    script = (
        "from django.conf import settings as s; "
        "print(s.Q_CLUSTER['timeout'], s.Q_CLUSTER['retry'], s.DEBUG, s.LOGGING['root']['level'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "grapherd_site.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["600", "720", "False", "WARNING"]


def test_system_checks_print_warnings_without_stopping_the_service(set_env: Any) -> None:
    set_env(VPC_FLOW_LOG_PATH="/logs")
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "grapherd.W001" in out.getvalue() and "did you mean VPC_FLOW_LOGS_PATH?" in out.getvalue()


def test_the_delivery_delay_is_a_go_duration_of_fifteen_minutes_by_default() -> None:
    assert load()[0].delivery_delay_s == 900
    assert load(GRAPHERD_DELIVERY_DELAY="1h30m")[0].delivery_delay_s == 5400
    assert load(GRAPHERD_DELIVERY_DELAY="0s")[0].delivery_delay_s == 0
