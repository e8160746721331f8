"""Flow-log sources: the port (`FlowLogSource`), a local folder and an S3 bucket, and the prefetcher."""

from digests.sources.base import FlowLogSource
from digests.sources.layout import SLACK_AFTER, SLACK_BEFORE, Layout
from digests.sources.local import LocalFolderSource
from digests.sources.prefetch import fetch_objects
from digests.sources.s3 import S3Source

__all__ = [
    "SLACK_AFTER",
    "SLACK_BEFORE",
    "FlowLogSource",
    "Layout",
    "LocalFolderSource",
    "S3Source",
    "fetch_objects",
]
