"""The pluggable parts, as small ports. Each implementation is one module; settings choose them
(`jobs.adapters`), the way the Go service fills the nil fields of its `Service` struct."""

from __future__ import annotations

from typing import IO, Protocol

from jobs.window import Window


class NotFound(Exception):
    """The artifact is not stored."""


class DependencyFailure(Exception):
    """A storage, marker, queue or digester call failed; `dependency` names which (as the Go service logs it)."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency
        self.detail = detail


class ArtifactStore(Protocol):
    """Stores finished artifacts under `<id><suffix>` (`.dot`, `.svg`, `.log.gz`)."""

    def exists(self, job_id: str, suffix: str) -> bool: ...

    def open(self, job_id: str, suffix: str) -> IO[bytes]:
        """Raises NotFound when missing."""
        ...

    def save(self, job_id: str, suffix: str, content: IO[bytes]) -> int:
        """Stores the stream; returns the bytes stored."""
        ...

    def delete(self, job_id: str, suffix: str) -> None:
        """Removes the artifact if it is there."""
        ...


class Marker(Protocol):
    """Progress markers `<id>_in_progress` holding an RFC3339Nano timestamp; fresh for the TTL."""

    def in_progress(self, job_id: str) -> bool: ...

    def mark(self, job_id: str) -> None: ...

    def unmark(self, job_id: str) -> None: ...


class Queuer(Protocol):
    """Hands a job message `{"id","start","stop"}` to whatever will run it."""

    def queue(self, job_id: str, window: Window, delay_s: float = 0.0) -> None:
        """Raises DependencyFailure("queuer", ...) when the job could not be queued. `delay_s` asks for
        a later delivery (retries); a queuer whose transport decides timing itself may ignore it."""
        ...
