"""Digest engines (GRAPHERD_DIGEST_ENGINE): the built-in compiled engine, DuckDB or Athena running one SQL
text. `digest_engine()` picks one from settings; each module imports its own stack when it is chosen."""

from __future__ import annotations

from digests.engines.base import DigestEngine
from ops.config import config_get

ENGINES = ("builtin", "duckdb", "athena")


def digest_engine(name: str | None = None) -> DigestEngine:
    """The engine named `name`, else GRAPHERD_DIGEST_ENGINE's."""
    chosen = name or config_get().digest_engine
    if chosen == "duckdb":
        from digests.engines.duckdb_sql import DuckDBEngine

        return DuckDBEngine()
    if chosen == "athena":
        from digests.engines.athena import athena_engine

        return athena_engine()
    from digests.engines.builtin import BuiltinEngine

    return BuiltinEngine()
