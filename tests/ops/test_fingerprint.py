"""The settings fingerprint the worker's heartbeat records: places and names, never secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ops.fingerprint import database_words, fingerprint_differences, settings_fingerprint, storage_words
from ops.heartbeat import heartbeat, worker_settings, worker_settings_differences


def test_the_fingerprint_names_the_flow_log_source_database_and_storage(
    settings: Any, set_env: Callable[..., None]
) -> None:
    set_env(VPC_FLOW_LOGS_BUCKET="flow-logs", VPC_FLOW_LOGS_PREFIX="prod/", VPC_FLOW_LOGS_PATH="")
    fingerprint = settings_fingerprint()
    assert fingerprint["flow-log source"] == "s3://flow-logs/prod"
    assert fingerprint["storage"] == str(settings.DATA_DIR / "graphs")
    assert fingerprint["database"].startswith(("sqlite3 ", "postgresql "))


def test_a_database_is_named_by_engine_host_and_name_without_its_password() -> None:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db.internal",
        "PORT": 5432,
        "NAME": "grapherd",
        "PASSWORD": "secret",
    }
    assert database_words(database) == "postgresql db.internal:5432/grapherd"
    assert storage_words({"OPTIONS": {"bucket_name": "graphs-bucket"}}) == "s3://graphs-bucket"


def test_only_the_settings_that_differ_are_named() -> None:
    here = {"flow-log source": "/a", "database": "sqlite3 x", "storage": "/s"}
    worker = {**here, "flow-log source": "s3://logs"}
    assert fingerprint_differences(here, worker) == ["flow-log source: here /a, worker s3://logs"]


@pytest.mark.django_db
def test_the_heartbeat_records_the_workers_settings(set_env: Callable[..., None]) -> None:
    assert worker_settings() is None
    assert worker_settings_differences() == []  # nothing recorded: nothing to compare
    heartbeat()
    assert worker_settings() == settings_fingerprint()
    set_env(VPC_FLOW_LOGS_PATH="/somewhere/else")
    assert worker_settings_differences()[0].startswith("flow-log source: here /somewhere/else, worker ")
