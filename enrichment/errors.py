"""The enrichment app's domain errors: each message names what went wrong and where, ready for an operator."""

from __future__ import annotations


class EnrichmentError(Exception):
    """Base of every error the enrichment services raise."""


class DocumentInvalid(EnrichmentError):
    """A file (or refresh response) is not JSON, is none of the known kinds, or has a malformed entry.

    `where` names the file ("subnets.json") or the refresh call ("us-east-1 describe_subnets").
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class NetworkGroupsInvalid(EnrichmentError):
    """A network-group file has bad rows; `problems` holds one message per bad row (line numbers included)."""

    def __init__(self, name: str, problems: list[str]) -> None:
        shown = problems[:20]
        more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{name}: nothing imported: " + "; ".join(shown) + more)
        self.problems = problems


class RefreshFailed(EnrichmentError):
    """Reading from AWS failed (credentials, role, permissions, network); the message names the region
    and call. Imports stored before the failure stay."""
