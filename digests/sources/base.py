"""The flow-log source port: where flow-log objects are listed and fetched from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from digests.engine.objects import FlowLogRef


class FlowLogSource(Protocol):
    """Lists the flow-log objects that can hold records of a window, and fetches them.

    Implementations must be safe to `read` from several threads at once (see `fetch_objects`).
    """

    # Keys the last `list` call passed over because their names do not parse as AWS flow-log names;
    # the job reports the count. Declared before `list` so the builtin, not the method, is meant.
    skipped_keys: list[str]
    # Where the last `list` call looked (a folder, s3://bucket/prefix/ of each account and region), so
    # that a window with no file can say where none was found.
    listed_prefixes: list[str]

    def list(self, start: datetime, stop: datetime) -> Iterator[FlowLogRef]:
        """Objects that may hold records starting in [start, stop) (aware UTC datetimes), sorted by key.

        Selection by file name is deliberately loose (see `layout.SLACK_BEFORE`/`SLACK_AFTER`); the
        engine filters each record's start exactly. Raises FlowLogReadError when listing fails.
        """
        ...

    def read(self, ref: FlowLogRef) -> bytes:
        """The object's bytes exactly as stored; raises FlowLogReadError(ref.key, reason)."""
        ...
