"""Folding a digest into connections (digests.connections): request and reply become one connection,
traffic logged at both ENIs counts once, and an ENI's own address is recognised."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from digests.connections import FOLD_BYTES_PER_LINE, connections_build, fold_memory

ACCOUNT = "111111111111"
APP, DB, INTERNET_CLIENT, ALB = "10.0.1.10", "10.0.2.20", "203.0.113.7", "10.0.0.5"


def digest(*lines: str) -> str:
    return "".join(f"2 {line}\n" for line in lines)


def build(tmp_path: Path, text: str) -> tuple[list[dict[str, object]], dict[str, tuple[str, str]], int]:
    source = tmp_path / "digest.log"
    source.write_text(text)
    figures = connections_build(source, tmp_path / "c.parquet", tmp_path / "h.parquet")
    with duckdb.connect() as db:
        cursor = db.execute("SELECT * FROM read_parquet(?)", [str(tmp_path / "c.parquet")])
        names = [column[0] for column in cursor.description or ()]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        hosts = db.execute(
            "SELECT address, eni, account FROM read_parquet(?)", [str(tmp_path / "h.parquet")]
        ).fetchall()
    assert figures.connections == len(rows)
    return rows, {address: (eni, account) for address, eni, account in hosts}, figures.lines


def test_a_request_and_its_reply_are_one_connection_with_bytes_each_way(tmp_path: Path) -> None:
    rows, _, _ = build(
        tmp_path,
        digest(
            f"{ACCOUNT} eni-app {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-app {DB} {APP} 5432 0 6 12 9000 100 200 ACCEPT OK",
        ),
    )
    assert rows == [
        {"client": APP, "server": DB, "port": 5432, "protocol": 6, "action": "ACCEPT", "bytes_sent": 1000,
         "bytes_received": 9000, "packets_sent": 10, "packets_received": 12, "records": 2, "enis": ["eni-app"],
         "accounts": [ACCOUNT], "paths": 0}
    ]  # fmt: skip


def test_traffic_logged_at_both_enis_counts_once(tmp_path: Path) -> None:
    lines = []
    for eni in ("eni-app", "eni-db"):
        lines += [
            f"{ACCOUNT} {eni} {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} {eni} {DB} {APP} 5432 0 6 12 9000 100 200 ACCEPT OK",
        ]
    rows, _, _ = build(tmp_path, digest(*lines))
    assert len(rows) == 1
    assert (rows[0]["bytes_sent"], rows[0]["bytes_received"], rows[0]["records"]) == (1000, 9000, 4)
    assert rows[0]["enis"] == ["eni-app", "eni-db"]


def test_a_connection_accepted_at_one_eni_and_rejected_at_the_other_is_mixed(tmp_path: Path) -> None:
    rows, _, _ = build(
        tmp_path,
        digest(
            f"{ACCOUNT} eni-app {APP} {DB} 0 5433 6 1 60 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-db {APP} {DB} 0 5433 6 1 60 100 200 REJECT OK",
        ),
    )
    assert [row["action"] for row in rows] == ["MIXED"]


def test_a_rejected_probe_without_reply_is_a_rejected_connection(tmp_path: Path) -> None:
    rows, _, _ = build(
        tmp_path, digest(f"{ACCOUNT} eni-alb {INTERNET_CLIENT} {ALB} 0 22 6 1 40 100 200 REJECT OK")
    )
    assert [
        (row["client"], row["server"], row["port"], row["action"], row["bytes_received"]) for row in rows
    ] == [(INTERNET_CLIENT, ALB, 22, "REJECT", 0)]


def test_lines_that_are_not_ok_data_are_not_connections(tmp_path: Path) -> None:
    rows, _, lines = build(
        tmp_path,
        digest(
            f"{ACCOUNT} eni-app - - - - - - - 100 200 - NODATA",
            f"{ACCOUNT} eni-app {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
        )
        + "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    )
    assert lines == 1
    assert len(rows) == 1


def test_the_address_in_every_line_of_an_eni_is_that_enis_own(tmp_path: Path) -> None:
    _, hosts, _ = build(
        tmp_path,
        digest(
            f"{ACCOUNT} eni-db {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-db {DB} {APP} 5432 0 6 12 9000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-db 10.0.1.11 {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-alb {INTERNET_CLIENT} {ALB} 0 443 6 1 40 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-alb 198.51.100.9 {ALB} 0 443 6 1 40 100 200 ACCEPT OK",
        ),
    )
    assert {address: owner for address, owner in hosts.items() if owner[0]} == {
        DB: ("eni-db", ACCOUNT),
        ALB: ("eni-alb", ACCOUNT),
    }
    assert hosts[INTERNET_CLIENT] == (None, ACCOUNT)  # logged by one account's ENIs: that account


def test_an_eni_that_talked_to_one_peer_owns_the_address_no_other_eni_owns(tmp_path: Path) -> None:
    _, hosts, _ = build(
        tmp_path,
        digest(
            f"{ACCOUNT} eni-db {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-db 10.0.1.11 {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
            f"{ACCOUNT} eni-app {APP} {DB} 0 5432 6 10 1000 100 200 ACCEPT OK",
        ),
    )
    assert hosts[DB] == ("eni-db", ACCOUNT) and hosts[APP] == ("eni-app", ACCOUNT)


def test_a_rejected_probe_from_a_low_port_keeps_its_direction_and_an_unknown_port(tmp_path: Path) -> None:
    # scanner:25154 -> ALB:50000; the digest kept the lower, source port and zeroed the destination port
    rows, _, _ = build(
        tmp_path, digest(f"{ACCOUNT} eni-alb {INTERNET_CLIENT} {ALB} 25154 0 6 1 40 100 200 REJECT OK")
    )
    assert [(row["client"], row["server"], row["port"], row["action"]) for row in rows] == [
        (INTERNET_CLIENT, ALB, 0, "REJECT")
    ]


def test_the_folds_memory_limit_grows_with_the_digest_up_to_half_the_machine() -> None:
    assert fold_memory(1_000) == 256 << 20  # the floor
    assert fold_memory(4_354_207) == 4_354_207 * FOLD_BYTES_PER_LINE  # a day that ran out of 256 MB
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert fold_memory(10**12) == machine // 2
