"""Progress markers `<id>_in_progress` in a Django storage (local folder or S3 bucket).

The body is the RFC3339Nano time of marking; a marker is fresh while now < time + TTL. An unreadable
body counts as stale (as in Go), and a TTL <= 0 means markers never count as in progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from jobs.artifacts import is_not_found
from jobs.ports import DependencyFailure
from jobs.window import NS_PER_SECOND, Instant, WindowError, instant_parse

SUFFIX = "_in_progress"
_ERRORS = (OSError, ClientError, BotoCoreError)


class StorageMarker:
    def __init__(self, storage: Storage, ttl_ms: int, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.ttl_ms = ttl_ms
        self.clock = clock

    def _now_ns(self) -> int:
        return int(self.clock() * NS_PER_SECOND)

    def marked_at(self, job_id: str) -> Instant | None:
        """When the marker was written; None when there is none or its body is not a timestamp."""
        try:
            with self.storage.open(job_id + SUFFIX, "rb") as handle:
                body = handle.read().decode("utf-8", "replace").strip()
        except _ERRORS as error:
            if is_not_found(error):
                return None
            raise DependencyFailure("marker", f"read {job_id}{SUFFIX}: {error}") from error
        try:
            return instant_parse(body)
        except WindowError:
            return None

    def in_progress(self, job_id: str) -> bool:
        marked = self.marked_at(job_id)
        if marked is None or self.ttl_ms <= 0:
            return False
        return self._now_ns() < marked.epoch_ns + self.ttl_ms * 1_000_000

    def mark(self, job_id: str) -> None:
        body = Instant(self._now_ns(), 0).rfc3339nano().encode()
        try:
            self.storage.save(job_id + SUFFIX, ContentFile(body, name=job_id + SUFFIX))
        except _ERRORS as error:
            raise DependencyFailure("marker", f"write {job_id}{SUFFIX}: {error}") from error

    def unmark(self, job_id: str) -> None:
        try:
            self.storage.delete(job_id + SUFFIX)
        except _ERRORS as error:
            if not is_not_found(error):
                raise DependencyFailure("marker", f"delete {job_id}{SUFFIX}: {error}") from error
