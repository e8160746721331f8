"""The settings a graph depends on, in words: where flow logs are read, which database, which storage.

The worker's heartbeat records them (`ops.heartbeat`), so `manage.py graph_create` run from a shell can
say when its own settings differ from the running worker's: a shell without the server's environment
reads other flow logs and gets other (often empty) graphs. Nothing secret is kept (no password, key or
token), only names and places.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ops.config import config_get


def settings_fingerprint() -> dict[str, str]:
    config = config_get()
    if config.flow_logs_bucket:
        prefix = f"/{config.flow_logs_prefix}" if config.flow_logs_prefix else ""
        flow_logs = f"s3://{config.flow_logs_bucket}{prefix}"
    else:
        flow_logs = str(config.flow_logs_path / config.flow_logs_prefix)
    return {
        "flow-log source": flow_logs,
        "database": database_words(settings.DATABASES["default"]),
        "storage": storage_words(settings.STORAGES["graphs"]),
    }


def fingerprint_differences(here: dict[str, str], worker: dict[str, str]) -> list[str]:
    """`name: here …, worker …` for every setting that differs."""
    return [
        f"{name}: here {value}, worker {worker[name]}"
        for name, value in here.items()
        if name in worker and worker[name] != value
    ]


def database_words(database: dict[str, Any]) -> str:
    engine = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    host = database.get("HOST") or ""
    port = f":{database['PORT']}" if database.get("PORT") else ""
    place = f"{host}{port}/" if host else ""
    return f"{engine} {place}{database.get('NAME', '')}"


def storage_words(storage: dict[str, Any]) -> str:
    options = storage.get("OPTIONS", {})
    if "bucket_name" in options:
        return f"s3://{options['bucket_name']}"
    return str(options.get("location", ""))
