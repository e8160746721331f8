"""Settings choose the implementation of each port, as the Go service filled its `Service` struct."""

from __future__ import annotations

from django.core.files.storage import storages

from digests.artifacts import StorageArtifactStore
from digests.markers import StorageMarker
from digests.ports import Digester, Queuer
from digests.queuers.djangoq import DjangoQQueuer
from digests.queuers.http import HttpQueuer
from digests.sources.base import FlowLogSource
from grapherd_site.config import config_get


def artifact_store(alias: str) -> StorageArtifactStore:
    """`alias` is a STORAGES entry: an S3 bucket when its *_BUCKET variable is set, else a local folder."""
    return StorageArtifactStore(storages[alias])


def marker(alias: str, ttl_ms: int) -> StorageMarker:
    return StorageMarker(storages[alias], ttl_ms)


def queuer(task: str, group: str) -> Queuer:
    endpoint = config_get().stream_appliance_endpoint
    if endpoint:
        return HttpQueuer(endpoint)
    return DjangoQQueuer(task, group)


def digester() -> Digester:
    config = config_get()
    if config.digester_endpoint:
        from digests.digesters.http import HttpDigester

        return HttpDigester(
            config.digester_endpoint, config.digester_polling_interval_ms, config.digester_polling_timeout_ms
        )
    from digests.digesters.builtin import BuiltinDigester

    return BuiltinDigester()


def flow_log_source() -> FlowLogSource:
    config = config_get()
    if config.flow_logs_bucket:
        from digests.sources.s3 import S3Source

        return S3Source(
            config.flow_logs_bucket,
            region=config.flow_logs_region or None,
            role_arn=config.flow_logs_role or None,
            prefix=config.flow_logs_prefix,
            accounts=config.scan_accounts,
            regions=config.scan_regions,
        )
    from digests.sources.local import LocalFolderSource

    return LocalFolderSource(config.flow_logs_path, prefix=config.flow_logs_prefix)
