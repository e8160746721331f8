"""Settings choose the implementation of each job port, as the Go service filled its `Service` struct:

| port | embedded default | with configuration |
|---|---|---|
| ArtifactStore | a local folder (STORAGES alias) | S3 via django-storages (`*_STORAGE_BUCKET`) |
| Marker | a local folder | S3 (`*_PROGRESS_BUCKET`) |
| Queuer | django-q2 on the database | `STREAM_APPLIANCE_ENDPOINT`: POST to a stream appliance |

The digester (graphs) and the flow-log source (digests) are chosen in their own apps.
"""

from __future__ import annotations

from django.core.files.storage import storages

from jobs.artifacts import StorageArtifactStore
from jobs.markers import StorageMarker
from jobs.ports import Queuer
from jobs.queuers.djangoq import DjangoQQueuer
from jobs.queuers.http import HttpQueuer
from ops.config import config_get


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


def worker_pool_queuer(task: str, group: str) -> DjangoQQueuer:
    """This service's own django-q2 pool, whatever queuer the API uses: the worker route hands the jobs
    delivered to it there. Typed as django-q2's queuer: a task queued here may take more arguments than
    the job id (`task_args`), which the stream appliance's message has no room for."""
    return DjangoQQueuer(task, group)
