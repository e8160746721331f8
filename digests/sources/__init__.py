"""Flow-log sources: the port (`digests.sources.base.FlowLogSource`), a local folder and an S3 bucket
(one module each), and the prefetcher. `flow_log_source()` picks one from settings."""

from __future__ import annotations

from digests.sources.base import FlowLogSource
from ops.config import config_get


def flow_log_source() -> FlowLogSource:
    """An S3 bucket when `VPC_FLOW_LOGS_BUCKET` is set, else the folder `VPC_FLOW_LOGS_PATH`."""
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
