"""The digest as one SQL text, for DuckDB (digests/engines/duckdb_sql.py) and Athena (digests/engines/athena.py).

The text is written in Athena's dialect (Trino) and run verbatim there; DuckDB runs sqlglot's translation
of it, so the differential tests against the built-in engine prove the very text Athena runs (as sqlglot
reads it). It reads a relation `flow_lines(path, line_no, line)`: every text line of the window's objects,
numbered within its object (DuckDB), or with `line_no` NULL when the engine cannot number lines (Athena:
then each object's header line counts for all its records, as in the objects AWS delivers).

Record rules, those of digests/engine/digest.py with the two rules decided in issue 11:

* Runs of spaces, tabs and CRs separate tokens; blank lines are not records. A line of field names
  (`[a-z][a-z0-9_-]*`, one of them a known field) is a header and lays out the lines after it in its
  object; before any header a line of 14 tokens is the v2 default, of 36 the Transit Gateway default,
  anything else `unknown_layout`; a token count other than the header's is `field_count`.
* log-status OK (any case) is data, NODATA/SKIPDATA (any case) `nodata_skipdata`, `-` or any other value
  `unknown_status`. A layout without log-status: a record that carries a number or both addresses is data, written `OK`.
* A port, protocol, packets, bytes, start or end that is neither `-` nor a base-10 int64 is `bad_number`.
* Start and end values >= 100_000_000_000 are milliseconds (divided by 1000), smaller ones seconds. The
  record's start (else its end) must lie in [start, stop), else `outside_window`; with neither it is kept.
* The ephemeral port (the higher one, the source on a tie) becomes 0; sums of packets and bytes are `-`
  when no record had one; every line carries the global first start and last end; lines sorted bytewise.

The query returns rows (kind, text, records): kind 0 one row per skip reason with its record count, kind 1
the digest lines in order with the records of each. One aggregation gives both (a skipped record's key is
all NULL, so each reason is one group), so Athena scans the data once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from digests.engine.figures import SKIP_REASONS, DigestFigures
from digests.engine.layouts import KNOWN_FIELDS, TGW_FIELDS, V2_FIELDS

# The built-in kernel's bound (digests/engine/kernel/constants.py, not imported: it loads numba); a test keeps
# the two equal.
MILLISECONDS_FROM = 100_000_000_000

FIGURES = 0  # the `kind` of a figures row (1: a digest line)
# Stand-ins for the window in the text sqlglot translates (once per dialect), replaced afterwards.
_START, _STOP = "7777777777777771", "7777777777777772"

_TEXT_FIELDS = ("account-id", "interface-id", "srcaddr", "dstaddr", "action")
_NUMBER_FIELDS = ("srcport", "dstport", "protocol", "packets", "bytes", "start", "end")
_INT64 = "^[+-]?[0-9]+$"


def _column(name: str) -> str:
    return name.replace("-", "_")


_LAID_FIELDS = (*_TEXT_FIELDS, *_NUMBER_FIELDS, "log-status")


def _header_positions() -> str:
    """Each field's token number (1-based; 0: not in the layout) in a header's names, once per header."""
    return ",\n    ".join(
        f"coalesce(array_position(names, '{name}'), 0) AS p_{_column(name)}" for name in _LAID_FIELDS
    )


def _default_position(name: str, fields: tuple[str, ...]) -> int:
    return fields.index(name) + 1 if name in fields else 0


def _line_positions() -> str:
    """A line's positions: its header's, else those of the default layout for its token count."""
    return ",\n    ".join(
        f"CASE WHEN h.path IS NOT NULL THEN h.p_{_column(name)} "
        f"WHEN cardinality(d.tokens) = 14 THEN {_default_position(name, tuple(V2_FIELDS))} "
        f"WHEN cardinality(d.tokens) = 36 THEN {_default_position(name, tuple(TGW_FIELDS))} "
        f"END AS p_{_column(name)}"
        for name in _LAID_FIELDS
    )


def _values() -> str:
    text = [
        f"CASE WHEN p_{_column(name)} > 0 THEN element_at(tokens, p_{_column(name)}) ELSE '-' END "
        f"AS {_column(name)}"
        for name in _TEXT_FIELDS
    ]
    numbers = [
        f"nullif(CASE WHEN p_{_column(name)} > 0 THEN element_at(tokens, p_{_column(name)}) END, '-') "
        f"AS t_{_column(name)}"
        for name in _NUMBER_FIELDS
    ]
    return ",\n    ".join([*text, *numbers])


def _numbers() -> str:
    parts = []
    for name in _NUMBER_FIELDS:
        column = f"t_{_column(name)}"
        number = f"CASE WHEN regexp_like({column}, '{_INT64}') THEN try_cast({column} AS BIGINT) END"
        if name in ("start", "end"):  # milliseconds: drop the last 3 digits (no division: dialects differ)
            number = (
                f"CASE WHEN ({number}) >= {MILLISECONDS_FROM} "
                f"THEN try_cast(substr({column}, 1, length({column}) - 3) AS BIGINT) ELSE {number} END"
            )
        parts.append(f"{number} AS n_{_column(name)}")
        parts.append(f"({column} IS NOT NULL AND ({number}) IS NULL) AS bad_{_column(name)}")
    return ",\n    ".join(parts)


def _any(prefix: str, operator: str, suffix: str = "") -> str:
    return f" {operator} ".join(f"{prefix}{_column(name)}{suffix}" for name in _NUMBER_FIELDS)


@functools.cache
def digest_sql() -> str:
    """The digest query (Athena's dialect) with `{start}` and `{stop}` placeholders (Unix seconds)."""
    return _TEMPLATE.format(
        known="|".join(sorted(KNOWN_FIELDS)),
        header_positions=_header_positions(),
        line_positions=_line_positions(),
        values=_values(),
        numbers=_numbers(),
        bad=_any("bad_", "OR"),
        # a flow number: start and end alone are what a NODATA record without its status holds
        carries=" OR ".join(f"t_{_column(name)} IS NOT NULL" for name in _NUMBER_FIELDS[:5]),
        start="{start}",
        stop="{stop}",
    )


def digest_query(start: int, stop: int, dialect: str = "trino") -> str:
    """The digest query for the window [start, stop), in `dialect` (sqlglot's name: trino, duckdb)."""
    template = digest_sql().replace("{start}", _START).replace("{stop}", _STOP)
    if dialect != "trino":
        template = translated(template, dialect)
    return template.replace(_START, str(int(start))).replace(_STOP, str(int(stop)))


@functools.cache
def translated(sql: str, dialect: str) -> str:
    """`sql` (Athena's dialect) in another dialect; cached, so each text is translated once."""
    import sqlglot  # only the engines that translate need it

    return str(sqlglot.transpile(sql, read="trino", write=dialect)[0])


@dataclass
class QueryResult:
    """Reads the query's rows: figures, then the digest lines (which the caller writes as they come)."""

    figures: DigestFigures = field(default_factory=DigestFigures)

    def __post_init__(self) -> None:
        self.figures.skipped = dict.fromkeys(SKIP_REASONS, 0)

    def add_row(self, kind: int, text: str, records: int) -> bytes | None:
        """Counts the row; returns the digest line (with its newline) of a kind 1 row."""
        self.figures.records += records
        if kind == FIGURES:
            self.figures.skipped[text] = self.figures.skipped.get(text, 0) + records
            return None
        self.figures.in_window += records
        self.figures.groups += 1
        return text.encode() + b"\n"


_TEMPLATE = """
WITH lines AS (
  SELECT path, line_no,
    CASE WHEN line LIKE '%  %' OR line LIKE ' %' OR line LIKE '% ' OR line LIKE '%\t%' OR line LIKE '%\r%'
      THEN regexp_replace(regexp_replace(line, '[\t\r ]+', ' '), '^ | $', '') ELSE line END AS text
  FROM flow_lines
),
marked AS (
  SELECT path, line_no, text,
    regexp_like(text, '^[a-z][a-z0-9_-]*( [a-z][a-z0-9_-]*)*$')
      AND regexp_like(' ' || replace(text, '_', '-') || ' ', ' ({known}) ') AS is_header
  FROM lines
  WHERE text <> ''
),
ordered AS (
  SELECT path, text, is_header, coalesce(line_no, CASE WHEN is_header THEN 0 ELSE 1 END) AS line_no
  FROM marked
),
headers AS (
  SELECT path, line_no, cardinality(names) AS width,
    {header_positions}
  FROM (
    SELECT path, line_no, split(min(replace(text, '_', '-')), ' ') AS names
    FROM ordered
    WHERE is_header
    GROUP BY path, line_no
  ) AS named
),
data AS (
  SELECT path, split(text, ' ') AS tokens, is_header,
    max(CASE WHEN is_header THEN line_no END) OVER (
      PARTITION BY path ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS header_no
  FROM ordered
),
placed AS (
  SELECT d.tokens,
    CASE WHEN h.path IS NULL AND cardinality(d.tokens) NOT IN (14, 36) THEN 'unknown_layout'
      WHEN h.path IS NOT NULL AND cardinality(d.tokens) <> h.width THEN 'field_count' END AS layout_skip,
    {line_positions}
  FROM data d LEFT JOIN headers h ON h.path = d.path AND h.line_no = d.header_no
  WHERE NOT d.is_header
),
fielded AS (
  SELECT layout_skip, p_log_status > 0 AS has_status,
    CASE WHEN p_log_status > 0 THEN element_at(tokens, p_log_status) END AS log_status,
    {values}
  FROM placed
),
numbered AS (
  SELECT *,
    {numbers}
  FROM fielded
),
classified AS (
  SELECT *,
    CASE
      WHEN layout_skip IS NOT NULL THEN layout_skip
      WHEN has_status AND regexp_like(log_status, '^([Nn][Oo][Dd][Aa][Tt][Aa]|[Ss][Kk][Ii][Pp][Dd][Aa][Tt][Aa])$')
        THEN 'nodata_skipdata'
      WHEN has_status AND NOT regexp_like(log_status, '^[Oo][Kk]$') THEN 'unknown_status'
      WHEN NOT has_status AND NOT ({carries}) AND (srcaddr = '-' OR dstaddr = '-') THEN 'unknown_status'
      WHEN {bad} THEN 'bad_number'
      WHEN coalesce(n_start, n_end) < {start} OR coalesce(n_start, n_end) >= {stop} THEN 'outside_window'
      ELSE 'in_window'
    END AS reason
  FROM numbered
),
kept AS (
  SELECT reason,
    CASE WHEN reason = 'in_window' THEN account_id END AS account_id,
    CASE WHEN reason = 'in_window' THEN interface_id END AS interface_id,
    CASE WHEN reason = 'in_window' THEN srcaddr END AS srcaddr,
    CASE WHEN reason = 'in_window' THEN dstaddr END AS dstaddr,
    CASE WHEN reason = 'in_window' THEN
      CASE WHEN n_srcport IS NOT NULL AND n_dstport IS NOT NULL AND n_srcport >= n_dstport THEN 0
        ELSE n_srcport END
    END AS srcport,
    CASE WHEN reason = 'in_window' THEN
      CASE WHEN n_srcport IS NOT NULL AND n_dstport IS NOT NULL AND n_srcport < n_dstport THEN 0
        ELSE n_dstport END
    END AS dstport,
    CASE WHEN reason = 'in_window' THEN n_protocol END AS protocol,
    CASE WHEN reason = 'in_window' THEN action END AS action,
    CASE WHEN reason = 'in_window' THEN coalesce(log_status, 'OK') END AS log_status,
    n_packets AS packets, n_bytes AS bytes,
    CASE WHEN reason = 'in_window' THEN n_start END AS first_start,
    CASE WHEN reason = 'in_window' THEN n_end END AS last_end
  FROM classified
),
summary AS (
  SELECT reason, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action, log_status,
    count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes,
    min(first_start) AS first_start, max(last_end) AS last_end
  FROM kept
  GROUP BY reason, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action, log_status
),
bounded AS (
  SELECT *, min(first_start) OVER () AS window_first, max(last_end) OVER () AS window_last
  FROM summary
)
SELECT kind, text, records FROM (
  SELECT 0 AS kind, reason AS text, records FROM bounded WHERE reason <> 'in_window'
  UNION ALL
  SELECT 1 AS kind,
    '2 ' || account_id || ' ' || interface_id || ' ' || srcaddr || ' ' || dstaddr
    || ' ' || coalesce(CAST(srcport AS VARCHAR), '-') || ' ' || coalesce(CAST(dstport AS VARCHAR), '-')
    || ' ' || coalesce(CAST(protocol AS VARCHAR), '-')
    || ' ' || coalesce(CAST(packets AS VARCHAR), '-') || ' ' || coalesce(CAST(bytes AS VARCHAR), '-')
    || ' ' || coalesce(CAST(window_first AS VARCHAR), '-') || ' ' || coalesce(CAST(window_last AS VARCHAR), '-')
    || ' ' || action || ' ' || log_status AS text,
    records
  FROM bounded
  WHERE reason = 'in_window'
) AS result
ORDER BY kind, text
"""
