"""Flow-log record layouts: field names, header lines, default layouts and how a line splits into tokens.

A text flow-log file names its fields in a header line (`version account-id ...`, hyphenated); Parquet
names them in its columns (`account_id`, underscored). Either way the field *names* give the layout, in any
order and with any extra (unknown) fields. The `version` value never does: producers write `3` next to v7
fields (docs/flow-log-formats.md §1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# The fields the digest reads. The digest line is the v2 default layout built from them.
VERSION = "version"
ACCOUNT = "account-id"
ENI = "interface-id"
SRCADDR = "srcaddr"
DSTADDR = "dstaddr"
SRCPORT = "srcport"
DSTPORT = "dstport"
PROTOCOL = "protocol"
PACKETS = "packets"
BYTES = "bytes"
START = "start"
END = "end"
ACTION = "action"
STATUS = "log-status"

STRING_FIELDS = (ACCOUNT, ENI, SRCADDR, DSTADDR, ACTION, STATUS)
# A value of one of these must be a base-10 integer or `-`; anything else skips the record as bad_number.
NUMERIC_FIELDS = (SRCPORT, DSTPORT, PROTOCOL, PACKETS, BYTES, START, END)
DIGEST_FIELDS = frozenset(STRING_FIELDS + NUMERIC_FIELDS)

# Spelled as AWS writes a header line, so they read like the documentation.
V2_FIELDS = (  # noqa: SIM905
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
).split()
# Transit Gateway default order (docs/flow-log-formats.md §3, v6): no interface-id, no action.
TGW_FIELDS = (  # noqa: SIM905
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id "
    "tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id "
    "tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded "
    "packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service"
).split()
_LATER_FIELDS = (  # noqa: SIM905
    # v3
    "vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr "
    # v4
    "region az-id sublocation-type sublocation-id "
    # v5
    "pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path "
    # v7 (ECS)
    "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id "
    "ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id "
    # v8, and the later (unverified) VPC Encryption Controls fields
    "reject-reason resource-id encryption-status"
).split()
KNOWN_FIELDS = frozenset(V2_FIELDS) | frozenset(TGW_FIELDS) | frozenset(_LATER_FIELDS)

# A header token looks like a field name; the line is a header when every token does and one is known.
_NAME_TOKEN = re.compile(rb"[a-z][a-z0-9_-]*")


def field_name(name: str) -> str:
    """The hyphenated field name for a header token or a Parquet column (`log_status` -> `log-status`)."""
    return name.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class RecordLayout:
    """The ordered field names of one record layout; `index` finds the first column of each name."""

    names: tuple[str, ...]
    index: Mapping[str, int] = field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, names: Iterable[str]) -> RecordLayout:
        normalised = tuple(field_name(name) for name in names)
        index: dict[str, int] = {}
        for position, name in enumerate(normalised):
            index.setdefault(name, position)  # a repeated name is an opaque extra column
        return cls(normalised, MappingProxyType(index))

    @property
    def width(self) -> int:
        return len(self.names)


# What a line before any header is read as, by its token count (digests/engine/kernel/fields.py, `layout_row`).
DEFAULT_V2 = RecordLayout.of(V2_FIELDS)
DEFAULT_TGW = RecordLayout.of(TGW_FIELDS)


def split_tokens(line: bytes) -> list[bytes]:
    """A line's fields. Runs of spaces separate them; tabs and carriage returns count as spaces.

    Other control bytes are ordinary token bytes, so the fast path (which splits on single spaces)
    agrees with this one on every line it accepts.
    """
    if b"\t" in line or b"\r" in line:
        line = line.replace(b"\t", b" ").replace(b"\r", b" ")
    tokens = line.split(b" ")
    if b"" in tokens:
        tokens = [token for token in tokens if token]
    return tokens


def is_header(tokens: list[bytes]) -> bool:
    """True for a line of field names (`version account-id ...`); data values are never all names."""
    if not tokens or not tokens[0][:1].islower():
        return False
    if not all(_NAME_TOKEN.fullmatch(token) for token in tokens):
        return False
    return any(field_name(token.decode("ascii")) in KNOWN_FIELDS for token in tokens)


def header_layout(tokens: list[bytes]) -> RecordLayout:
    return RecordLayout.of(token.decode("ascii") for token in tokens)
