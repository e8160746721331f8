"""A window's digest folded into connections, written as Parquet: the columnar copy the views read.

A connection is client → server:port/protocol. The digest keeps the lower port of a record and sets the
other to 0 (docs/go-services-behaviour.md §2.7), taking the lower one for the server's: a line whose
source port is the kept one is a reply (server → client), and request and reply become one connection
with bytes and packets each way. A rejected line is the exception: security groups reject what comes in,
so its source is the client, and when the digest kept the source port (the client's, lower than the
server's, as scanners' often are) the server's port is lost: the connection's port is 0, "unknown".
Traffic between two interfaces of the VPC is logged at both ENIs; each way is counted once (the largest
figure any one ENI saw, as both saw the same packets). Rich records (digests.rich_lines) also say whether
they are replies, which way their ENI saw them (`flow-direction`) and how they left (`traffic-path`, kept
as the `paths` bit mask). Only `OK` lines count, as in the DOT.

Hosts: the address an ENI owns is the one present in every line that ENI logged (flow logs write an
ENI's own address as the source or destination of each of its records); that gives an address its ENI
and account without any enrichment. Any other address gets the account of the ENIs that logged it, when
they agree (its ENI is then empty). This module imports nothing of Django.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digests.rich import RichCopies
from digests.rich_lines import rich_lines_merge, rich_table_create, rich_table_save

if TYPE_CHECKING:
    import duckdb

FOLD_MEMORY_LIMIT = "256MB"
# DuckDB's grouped lists (a connection's ENIs and accounts) do not spill: the fold holds ~250 bytes a
# digest line (measured: 4.4 M lines ran out of 256 MB and finished in 1.07 GB), so its limit grows with
# the digest, up to half the machine. Below ~400 bytes a line the rest spills to disk: on a 1.5 M-line
# digest 256 took 6.2 s and 476 MB, 384 took 4.6-4.9 s and 665 MB, 512 took 4.4-4.9 s and 850 MB (the
# graph job of that window peaks at ~800 MB in its other stages anyway).
FOLD_BYTES_PER_LINE = 384
CONNECTIONS_SUFFIX = ".connections.parquet"
RICH_SUFFIX = ".rich.parquet"  # a whole hour's rich records, for the windows that merge it (digests.partials)
HOSTS_SUFFIX = ".hosts.parquet"

# The digest's 14 fields (version 2 layout); numbers stay text until checked, as `-` means "no value".
_COLUMNS = (
    "{'version': 'VARCHAR', 'account': 'VARCHAR', 'eni': 'VARCHAR', 'src': 'VARCHAR', 'dst': 'VARCHAR',"
    " 'sp': 'VARCHAR', 'dp': 'VARCHAR', 'proto': 'VARCHAR', 'packets': 'VARCHAR', 'bytes': 'VARCHAR',"
    " 'first': 'VARCHAR', 'last': 'VARCHAR', 'action': 'VARCHAR', 'status': 'VARCHAR'}"
)

_LINES = f"""
CREATE TEMP TABLE lines AS
SELECT account, eni, src, dst, action,
       coalesce(try_cast(sp AS INTEGER), 0) AS sp, coalesce(try_cast(dp AS INTEGER), 0) AS dp,
       coalesce(try_cast(proto AS INTEGER), -1) AS proto,
       try_cast(packets AS BIGINT) AS packets, try_cast(bytes AS BIGINT) AS bytes,
       NULL::BOOLEAN AS reply, NULL::BOOLEAN AS egress, 0::UTINYINT AS paths  -- known from rich records only
FROM read_csv(?, delim=' ', header=false, quote='', escape='', auto_detect=false, ignore_errors=true,
              null_padding=false, columns={_COLUMNS})
WHERE version = '2' AND lower(trim(status)) = 'ok'
"""

# Per connection and ENI first (what that ENI saw each way), then the largest of the ENIs' figures; the
# lists of ENIs and accounts are built only for the connections seen by more than one (`multi`): a list
# per connection cost more than the rest of the fold in a window of many one-ENI connections. A rich
# line says itself whether it is a reply (digests.rich_lines), and whether its ENI sent it (egress) or took
# it in: an interface that forwards traffic (a firewall appliance, a NAT instance) logs the same packets
# both ways, so an ENI's figure for a way is the larger of what it took in and what it sent, not their sum.
_CONNECTIONS = """
COPY (
  WITH marked AS (
    SELECT *, upper(action) = 'REJECT' AS rejected_line, (sp <> 0 AND dp = 0) AS source_port_kept FROM lines
  ), oriented AS (
    SELECT coalesce(reply, source_port_kept AND NOT rejected_line) AS reply, account, eni, action, packets,
           bytes, coalesce(egress, false) AS egress, paths,
           CASE WHEN coalesce(reply, source_port_kept AND NOT rejected_line) THEN dst ELSE src END AS client,
           CASE WHEN coalesce(reply, source_port_kept AND NOT rejected_line) THEN src ELSE dst END AS server,
           CASE WHEN reply THEN sp WHEN reply IS NOT NULL OR NOT source_port_kept THEN dp
                WHEN rejected_line THEN 0 ELSE sp END AS port, proto
    FROM marked
  ), per_eni AS (
    SELECT client, server, port, proto, eni, account,
           greatest(coalesce(sum(bytes) FILTER (WHERE NOT reply AND NOT egress), 0),
                    coalesce(sum(bytes) FILTER (WHERE NOT reply AND egress), 0)) AS bs,
           greatest(coalesce(sum(bytes) FILTER (WHERE reply AND NOT egress), 0),
                    coalesce(sum(bytes) FILTER (WHERE reply AND egress), 0)) AS br,
           greatest(coalesce(sum(packets) FILTER (WHERE NOT reply AND NOT egress), 0),
                    coalesce(sum(packets) FILTER (WHERE NOT reply AND egress), 0)) AS ps,
           greatest(coalesce(sum(packets) FILTER (WHERE reply AND NOT egress), 0),
                    coalesce(sum(packets) FILTER (WHERE reply AND egress), 0)) AS pr,
           count(*) AS records, bit_or(paths) AS paths,
           bool_or(upper(action) = 'REJECT') AS rejected, bool_or(upper(action) <> 'REJECT') AS accepted
    FROM oriented GROUP BY ALL
  ), conn AS (
    SELECT client, server, port, proto,
           CASE WHEN bool_or(rejected) AND bool_or(accepted) THEN 'MIXED'
                WHEN bool_or(rejected) THEN 'REJECT' ELSE 'ACCEPT' END AS action,
           max(bs)::BIGINT AS bytes_sent, max(br)::BIGINT AS bytes_received,
           max(ps)::BIGINT AS packets_sent, max(pr)::BIGINT AS packets_received, sum(records)::BIGINT AS records,
           count(*) AS eni_rows, min(eni) AS eni, min(account) AS account,
           bit_or(paths)::UTINYINT AS paths  -- traffic-path codes seen: bit n-1 for code n (1 to 8)
    FROM per_eni GROUP BY client, server, port, proto
  ), multi AS (
    SELECT client, server, port, proto,
           list(DISTINCT eni ORDER BY eni) AS enis, list(DISTINCT account ORDER BY account) AS accounts
    FROM per_eni SEMI JOIN (SELECT client, server, port, proto FROM conn WHERE eni_rows > 1)
         USING (client, server, port, proto)
    GROUP BY client, server, port, proto
  )
  SELECT client, server, port, proto AS protocol, action, bytes_sent, bytes_received, packets_sent,
         packets_received, records,
         CASE WHEN eni_rows = 1 THEN [eni] ELSE multi.enis END AS enis,
         CASE WHEN eni_rows = 1 THEN [account] ELSE multi.accounts END AS accounts, paths
  FROM conn LEFT JOIN multi USING (client, server, port, proto)
  ORDER BY client, server, port, proto
) TO ? (FORMAT parquet, COMPRESSION zstd)
"""

# RFC 1918 and the shared 100.64/10: the private IPv4 ranges a VPC gives its interfaces.
PRIVATE_IPV4 = (
    r"^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.)"
)

_HOSTS = f"""
COPY (
  WITH totals AS (SELECT eni, count(*) AS lines FROM addr_lines GROUP BY eni),
  seen AS (
    SELECT eni, account, address, count(*) AS lines FROM (
      SELECT eni, account, src AS address FROM addr_lines
      UNION ALL SELECT eni, account, dst FROM addr_lines WHERE dst <> src
    ) GROUP BY ALL
  ), candidates AS (  -- the addresses in every one of an ENI's lines
    SELECT seen.eni, seen.account, seen.address, count(*) OVER (PARTITION BY seen.eni) AS choices
    FROM seen JOIN totals ON seen.eni = totals.eni AND seen.lines = totals.lines
  ), sure AS (SELECT eni, account, address FROM candidates WHERE choices = 1),
  unsure AS (  -- an ENI with two candidates (it only talked to one peer) owns the one no other ENI owns,
    SELECT * FROM candidates WHERE choices > 1 AND address NOT IN (SELECT address FROM sure)
  ), owned AS (  -- or else the only private one: flow logs write an ENI's private address, never a public one
    SELECT * FROM sure
    UNION ALL SELECT eni, any_value(account), any_value(address) FROM unsure GROUP BY eni HAVING count(*) = 1
    UNION ALL SELECT eni, any_value(account), any_value(address) FROM unsure
    WHERE regexp_matches(address, '{PRIVATE_IPV4}')
    AND eni IN (SELECT eni FROM unsure GROUP BY eni HAVING count(*) > 1) GROUP BY eni HAVING count(*) = 1
  ), accounts AS (  -- any address: the account of the ENIs that logged it, when they agree
    SELECT address, any_value(account) AS account FROM seen GROUP BY address HAVING count(DISTINCT account) = 1
  ), hosts AS (
    SELECT address, arg_max(owned.eni, totals.lines) AS eni,
           coalesce(arg_max(owned.account, totals.lines), any_value(accounts.account)) AS account
    FROM accounts FULL JOIN owned USING (address) LEFT JOIN totals ON totals.eni = owned.eni
    GROUP BY address
  )
  SELECT hosts.*, eni_places.vpc, eni_places.subnet, eni_places.instance  -- an ENI's place, from rich records
  FROM hosts LEFT JOIN eni_places USING (eni) ORDER BY address
) TO ? (FORMAT parquet, COMPRESSION zstd)
"""


@dataclass(frozen=True)
class ConnectionFigures:
    lines: int  # digest lines that counted (version 2, status OK)
    connections: int
    rich_saved: bool = False  # whether `rich.save_to` was written (the window had rich records)


@dataclass(frozen=True)
class RichInput:
    """Where the fold finds the window's rich records: the `copies` of its objects (filtered by `window`,
    Unix seconds), or the `stored` rich tables of its pieces; `save_to` keeps them for a later merge."""

    copies: RichCopies | None = None
    window: tuple[int, int] = (0, 0)
    stored: Sequence[Path] = ()
    save_to: Path | None = None


def connections_build(
    digest: Path, connections_out: Path, hosts_out: Path, rich: RichInput = RichInput()
) -> ConnectionFigures:
    """Fold the digest text at `digest` (plain or gzip, by its name) into the two Parquet files. The ENIs
    that `rich` records hold are read from those records instead (digests.rich_lines)."""
    with _duckdb(digest.parent) as db:
        db.execute(_LINES, [str(digest)]).fetchall()
        (lines,) = db.execute("SELECT count(*) FROM lines").fetchall()[0]
        db.execute(f"SET memory_limit = '{fold_memory(int(lines))}B'").fetchall()
        # An ENI owns the address in each of its lines as the flow logs wrote them, before NAT correction.
        db.execute("CREATE TEMP TABLE addr_lines AS SELECT eni, account, src, dst FROM lines").fetchall()
        rich_lines_merge(db, rich.copies, rich.window, rich.stored)
        saved = rich.save_to is not None and rich_table_save(db, rich.save_to)
        db.execute(_CONNECTIONS, [str(connections_out)]).fetchall()
        db.execute(_HOSTS, [str(hosts_out)]).fetchall()
        (connections,) = db.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(connections_out)]
        ).fetchall()[0]
    return ConnectionFigures(lines=int(lines), connections=int(connections), rich_saved=saved)


def rich_table_write(copies: RichCopies, window: tuple[int, int], out: Path) -> bool:
    """The rich records of `copies` in `window`, as the fold reads them, written to `out` (Parquet) for a
    later merge; False (nothing written) when there are none."""
    with _duckdb(out.parent) as db:
        return rich_table_create(db, copies, window) and rich_table_save(db, out)


def _duckdb(folder: Path) -> duckdb.DuckDBPyConnection:
    import duckdb  # here: only the processes that fold a digest pay for it

    # Two threads and a bounded memory: the worker shares the machine with the web tier and other jobs.
    # Beyond the limit DuckDB spills into `folder` (the job's temp folder, removed with it): a database in
    # memory has no spill folder of its own, and a day's digest of millions of lines needs one.
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": 2,
        "memory_limit": FOLD_MEMORY_LIMIT,
        "preserve_insertion_order": False,
        "temp_directory": str(folder / "duckdb-spill"),
    }
    return duckdb.connect(config=config)


def fold_memory(lines: int) -> int:
    """DuckDB's memory limit for folding a digest of `lines` lines, in bytes."""
    floor = 256 << 20
    half_machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    return max(floor, min(lines * FOLD_BYTES_PER_LINE, half_machine))
