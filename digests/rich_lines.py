"""The fold's rich records: the copied objects (digests.rich) read with DuckDB, by their own layouts,
filtered as the engine filters (status OK, or none and a flow number or both addresses; numbers that parse; start in the
window), and put in place of the digest lines of their ENIs.

- Endpoints are NAT-correct: `pkt-srcaddr`/`pkt-dstaddr` stand for `srcaddr`/`dstaddr` when given. At an
  interface that translates (a NAT gateway: some record's packet address differs from its address), the
  untranslated records are the gateway's own outer leg of those same flows, and are left out.
- Ports are exact: the record has both, and the lower is the server's, as in the digest. A rejected record
  is the exception: security groups reject what comes in, so a rejected record the interface took in
  (`flow-direction` ingress, or none given) has the client as its source, and a probe from a low port
  keeps the port it probed. One the interface sent (egress: an outbound rule, or a stateless network ACL
  blocking the replies) follows the port rule, so a blocked reply stays a reply of its connection.
- Equal ports (ICMP's 0 and 0, NTP's 123 and 123) do not say who asked: the side whose first packet
  (`start`) came first is the client, the address that sorts first on a tie, so both ways of such an
  exchange are one connection, whichever interface logged them.
- Each record says whether its interface took it in or sent it (`flow-direction`), which the fold uses to
  count a forwarding interface's traffic once, and how a sent record left (`traffic-path`, codes 1 to 8),
  kept per connection as a bit mask (`paths`). A NAT gateway's translated records take the path of its
  outer leg to the same server (through the internet gateway), which they stand for.
- `vpc-id`, `subnet-id` and `instance-id` place each ENI (table `eni_places`, used by the hosts table).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from digests.rich import RichCopies

if TYPE_CHECKING:
    import duckdb

# field: (its name in text headers, in Parquet columns)
_FIELDS = {
    "account": "account-id", "eni": "interface-id", "srcaddr": "srcaddr", "dstaddr": "dstaddr",
    "psrc": "pkt-srcaddr", "pdst": "pkt-dstaddr", "srcport": "srcport", "dstport": "dstport",
    "protocol": "protocol", "packets": "packets", "bytes": "bytes", "first": "start", "last": "end",
    "action": "action", "status": "log-status", "vpc": "vpc-id", "subnet": "subnet-id", "instance": "instance-id",
    "direction": "flow-direction", "path": "traffic-path",
}  # fmt: skip
_NUMBERS = ("srcport", "dstport", "protocol", "packets", "bytes", "first", "last", "path")
MILLISECONDS_FROM = 100_000_000_000  # as the engine reads start and end (digests/engine/kernel/constants.py)
# A record is data as the engine decides (README "Flow logs"): log-status OK, or, in a layout without
# log-status, a record that carries a flow number (a port, the protocol, packets or bytes) or both addresses.
_CARRIES = " OR ".join(
    [f"({n} IS NOT NULL AND {n} <> '-')" for n in _NUMBERS[:5]]
    + ["(srcaddr IS NOT NULL AND srcaddr <> '-' AND dstaddr IS NOT NULL AND dstaddr <> '-')"]
)

_TYPED = f"""
CREATE TEMP TABLE rich AS
WITH typed AS (
  SELECT *, {", ".join(f"try_cast(nullif({n}, '-') AS BIGINT) AS {n}_n" for n in _NUMBERS)},
         coalesce(nullif(psrc, '-'), srcaddr) AS src, coalesce(nullif(pdst, '-'), dstaddr) AS dst
  FROM raw
  WHERE (upper(status) = 'OK' OR (status IS NULL AND ({_CARRIES})))
    AND {" AND ".join(f"({n} IS NULL OR {n} = '-' OR try_cast({n} AS BIGINT) IS NOT NULL)" for n in _NUMBERS)}
), timed AS (
  SELECT *, CASE WHEN first_n >= {MILLISECONDS_FROM} THEN first_n // 1000 ELSE first_n END AS s,
            CASE WHEN last_n >= {MILLISECONDS_FROM} THEN last_n // 1000 ELSE last_n END AS e
  FROM typed
)
SELECT coalesce(account, '-') AS account, coalesce(eni, '-') AS eni, src, dst, srcaddr, dstaddr,
       coalesce(action, '-') AS action,
       coalesce(protocol_n, -1)::INTEGER AS proto, packets_n AS packets, bytes_n AS bytes,
       coalesce(srcport_n, 0)::INTEGER AS sp, coalesce(dstport_n, 0)::INTEGER AS dp,
       (src IS DISTINCT FROM srcaddr OR dst IS DISTINCT FROM dstaddr) AS translated,
       nullif(vpc, '-') AS vpc, nullif(subnet, '-') AS subnet, nullif(instance, '-') AS instance,
       CASE lower(direction) WHEN 'egress' THEN true WHEN 'ingress' THEN false END AS egress,
       CASE WHEN path_n BETWEEN 1 AND 8 THEN (1 << (path_n - 1))::UTINYINT ELSE 0::UTINYINT END AS paths, s
FROM timed
WHERE src IS NOT NULL AND dst IS NOT NULL AND src <> '-' AND dst <> '-'
  AND CASE WHEN s IS NOT NULL THEN s >= ? AND s < ? WHEN e IS NOT NULL THEN e >= ? AND e < ? ELSE true END
"""

# Who is the client of each record: `reply` says the record goes server → client, `port` is the server's.
_ORIENT = """
CREATE TEMP TABLE rich_oriented AS
WITH firsts AS (  -- equal ports: the source of the earliest record of the pair is the client
  SELECT least(src, dst) AS a, greatest(src, dst) AS b, sp AS port, proto,
         arg_min(src, struct_pack(s := coalesce(s, 9223372036854775807), src := src)) AS client
  FROM rich WHERE sp = dp GROUP BY ALL
), outer_paths AS (  -- a NAT gateway's own outer legs: how it reaches each server
  SELECT eni, dst AS peer, dp AS peer_port, proto, bit_or(paths) AS paths
  FROM rich WHERE egress AND NOT translated GROUP BY ALL
), oriented AS (
  SELECT r.*, CASE
           WHEN sp = dp THEN src <> firsts.client
           WHEN upper(action) = 'REJECT' AND egress IS NOT TRUE THEN false
           ELSE sp < dp END AS reply
  FROM rich r LEFT JOIN firsts ON firsts.a = least(r.src, r.dst) AND firsts.b = greatest(r.src, r.dst)
    AND firsts.port = r.sp AND firsts.proto = r.proto AND r.sp = r.dp
)
SELECT o.*, CASE WHEN reply THEN sp ELSE dp END AS port,
       o.paths | coalesce(n.paths, 0::UTINYINT) AS all_paths
FROM oriented o LEFT JOIN outer_paths n ON o.translated AND n.eni = o.eni AND n.proto = o.proto
  AND n.peer = CASE WHEN o.reply THEN o.src ELSE o.dst END
  AND n.peer_port = CASE WHEN o.reply THEN o.sp ELSE o.dp END
"""

# In the digest's shape: the server's port kept, the client's 0 (the fold reads `reply` first).
_MERGE = """
DELETE FROM lines WHERE eni IN (SELECT DISTINCT eni FROM rich);
INSERT INTO lines
SELECT account, eni, src, dst, action, CASE WHEN reply THEN port ELSE 0 END AS sp,
       CASE WHEN reply THEN 0 ELSE port END AS dp, proto, packets, bytes, reply, egress, all_paths
FROM rich_oriented
WHERE translated OR eni NOT IN (SELECT eni FROM rich WHERE translated);
DELETE FROM addr_lines WHERE eni IN (SELECT DISTINCT eni FROM rich);
INSERT INTO addr_lines SELECT eni, account, srcaddr, dstaddr FROM rich;
"""


def rich_lines_merge(
    db: duckdb.DuckDBPyConnection,
    rich: RichCopies | None,
    window: tuple[int, int],
    stored: Sequence[Path] = (),
) -> None:
    """Replaces the `lines` (and `addr_lines`) of the rich objects' ENIs by their records; fills
    `eni_places`. The records come from the `rich` copies, or from `stored` rich tables (rich_table_save)
    of the pieces of a window digested hour by hour."""
    db.execute(
        "CREATE TEMP TABLE eni_places (eni VARCHAR, vpc VARCHAR, subnet VARCHAR, instance VARCHAR)"
    ).fetchall()
    if stored:
        db.execute("CREATE TEMP TABLE rich AS SELECT * FROM read_parquet(?)", [[str(p) for p in stored]])
    elif not rich_table_create(db, rich, window):
        return
    db.execute(_ORIENT).fetchall()
    db.execute(_MERGE).fetchall()
    db.execute(
        "INSERT INTO eni_places SELECT eni, any_value(vpc), any_value(subnet), any_value(instance) FROM rich "
        "WHERE coalesce(vpc, subnet, instance) IS NOT NULL GROUP BY eni"
    ).fetchall()


def rich_table_save(db: duckdb.DuckDBPyConnection, out: Path) -> bool:
    """Writes the `rich` table (the window's rich records, filtered and typed) as Parquet, so that a window
    merged from pieces can fold their records without reading the flow logs again; False when there is none."""
    if not db.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'rich'").fetchall():
        return False
    db.execute("COPY rich TO ? (FORMAT parquet, COMPRESSION zstd)", [str(out)]).fetchall()
    return True


def rich_table_create(
    db: duckdb.DuckDBPyConnection, rich: RichCopies | None, window: tuple[int, int]
) -> bool:
    """The `rich` table: the copied objects' records, typed and filtered as the engine filters them, in
    the window; False when there are no rich copies."""
    if rich is None or not rich.found:
        return False
    selects = []
    if rich.text:
        # 1 MB buffers (a record is well under 1 KB): the default ones, one per file, outgrow the memory cap.
        reader = (
            "read_csv(?, delim=' ', header=true, union_by_name=true, all_varchar=true, ignore_errors=true, "
            "buffer_size=1048576)"
        )
        selects.append((reader, rich.text, "-"))
    if rich.parquet:
        selects.append(("read_parquet(?, union_by_name=true)", rich.parquet, "_"))
    parts, params = [], []
    for reader, files, separator in selects:
        paths = [str(path) for path in files]
        columns = {row[0] for row in db.execute(f"DESCRIBE SELECT * FROM {reader}", [paths]).fetchall()}
        picked = []
        for alias, name in _FIELDS.items():
            column = name.replace("-", separator)
            picked.append(
                f'"{column}"::VARCHAR AS {alias}' if column in columns else f"NULL::VARCHAR AS {alias}"
            )
        parts.append(f"SELECT {', '.join(picked)} FROM {reader}")
        params.append(paths)
    start, stop = window
    db.execute(f"CREATE TEMP TABLE raw AS {' UNION ALL '.join(parts)}", params).fetchall()
    db.execute(_TYPED, [start, stop, start, stop]).fetchall()
    return True
