"""ArtifactStore over a Django storage: a local folder or S3 (django-storages), chosen in STORAGES."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from typing import IO

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage

from jobs.ports import DependencyFailure, NotFound

log = logging.getLogger(__name__)
_NOT_FOUND_CODES = {"NoSuchKey", "NotFound", "404"}
_STORAGE_ERRORS = (OSError, ClientError, BotoCoreError)


def is_not_found(error: BaseException) -> bool:
    if isinstance(error, FileNotFoundError):
        return True
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND_CODES
    return False


class StorageArtifactStore:
    def __init__(self, storage: Storage, dependency: str = "storage") -> None:
        self.storage = storage
        self.dependency = dependency

    def exists(self, job_id: str, suffix: str) -> bool:
        try:
            return bool(self.storage.exists(job_id + suffix))
        except _STORAGE_ERRORS as error:
            raise DependencyFailure(self.dependency, f"exists {job_id}{suffix}: {error}") from error

    def open(self, job_id: str, suffix: str) -> IO[bytes]:
        name = job_id + suffix
        try:
            handle = self.storage.open(name, "rb")
            # S3 files open lazily; reading the first byte turns a missing key into an error here.
            handle.seek(0)
            return handle
        except _STORAGE_ERRORS as error:
            if is_not_found(error):
                raise NotFound(name) from error
            raise DependencyFailure(self.dependency, f"open {name}: {error}") from error

    def save(self, job_id: str, suffix: str, content: IO[bytes]) -> int:
        name = job_id + suffix
        try:
            content.seek(0, 2)
            size = content.tell()
            content.seek(0)
            if isinstance(self.storage, FileSystemStorage):
                self._save_local(name, content)
            else:  # an S3 upload becomes visible whole or not at all
                stored = self.storage.save(name, File(content, name=name))
                if stored != name:  # a storage that renames on conflict would orphan the artifact
                    raise DependencyFailure(
                        self.dependency, f"storage saved {name} as {stored}; enable overwrite"
                    )
        except _STORAGE_ERRORS as error:
            raise DependencyFailure(self.dependency, f"save {name}: {error}") from error
        return size

    def _save_local(self, name: str, content: IO[bytes]) -> None:
        """Write a uniquely named file beside the target and rename it over it, so a killed worker never
        leaves half a graph that GET would serve as finished, and concurrent writers never interleave."""
        partial = f"{name}.{uuid.uuid4().hex}.partial"
        try:
            self.storage.save(partial, File(content, name=name))
            os.replace(self.storage.path(partial), self.storage.path(name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self.storage.path(partial))
            raise

    def delete(self, job_id: str, suffix: str) -> None:
        try:
            self.storage.delete(job_id + suffix)
        except _STORAGE_ERRORS as error:
            if not is_not_found(error):
                raise DependencyFailure(self.dependency, f"delete {job_id}{suffix}: {error}") from error
