"""Canned Athena results for moto: the rows the digest SQL gives for some objects, as DuckDB computes them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject
from digests.engines.duckdb_sql import duckdb_digest, duckdb_rows, stage_objects


def athena_rows(folder: Path, data: bytes, window: tuple[int, int]) -> tuple[list[dict[str, Any]], bytes]:
    """GetQueryResults rows (the column names first) for one object's digest query, and its digest."""
    paths = stage_objects([FlowLogObject("a", data)], folder, DigestFigures())
    out = io.BytesIO()
    duckdb_digest(paths, *window, out)
    header = [{"Data": [{"VarCharValue": name} for name in ("kind", "text", "records")]}]
    rows = [{"Data": [{"VarCharValue": str(value)} for value in row]} for row in duckdb_rows(paths, *window)]
    return header + rows, out.getvalue()
