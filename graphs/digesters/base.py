"""The digester port: where a graph job gets the digest of its window."""

from __future__ import annotations

from typing import IO, Protocol

from jobs.window import Window


class Digester(Protocol):
    """Produces the digest text of a window for the grapher."""

    def digest(self, window: Window, into: IO[bytes], *, reuse: bool = True) -> None:
        """Writes the uncompressed digest into `into`; raises DependencyFailure("digester", ...).
        `reuse=False` asks for the flow logs to be read again rather than a stored digest reused."""
        ...
