"""A graph's warnings and completeness, from the digest it was built from.

With the built-in digester the digest job knows what the source listed and read, so the graph takes its
warnings and its verdict. A remote digester (or a digest built by another grapherd into a shared bucket)
tells only its lines: an empty digest is then the one sign, and counts as built from no file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digests.models import Digest
from jobs.completeness import completeness_values
from jobs.window import Window
from ops.config import config_get

EMPTY_REMOTE = (
    "the digest from DIGESTER_ENDPOINT is empty: the digester found no record of this window "
    "(check its flow-log settings)"
)
EMPTY_ELSEWHERE = "the digest of this window, built by another grapherd, is empty"


def graph_trust(window: Window, records: int, built_at: datetime) -> dict[str, Any]:
    """The row's `warnings`, `complete` and `rebuild_at`."""
    digest = None
    if not config_get().digester_endpoint:
        digest = Digest.objects.filter(id=window.job_id("digest")).first()
    if digest is not None:
        return {"warnings": digest.warnings, "complete": digest.complete, "rebuild_at": digest.rebuild_at}
    values = completeness_values(window.stop.to_datetime(), built_at, found_files=records > 0)
    empty = EMPTY_REMOTE if config_get().digester_endpoint else EMPTY_ELSEWHERE
    return {"warnings": [empty] if records == 0 else [], **values}
