"""The built-in digester: digests are built in this process from the configured flow-log source."""

from __future__ import annotations

from typing import IO

from digests.services import digest_for_window
from jobs.window import Window


class BuiltinDigester:
    def digest(self, window: Window, into: IO[bytes], *, reuse: bool = True) -> None:
        digest_for_window(window, into, reuse=reuse)
