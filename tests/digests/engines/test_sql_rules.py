"""The digest SQL's record rules, run by DuckDB, including the two rules of issue 11 that the built-in engine
gets on branch trust-data (log-status `-`/unknown/absent, and milliseconds from 10**11 on)."""

from __future__ import annotations

import io
from pathlib import Path

import sqlglot

from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject
from digests.engines.duckdb_sql import duckdb_digest, stage_objects
from digests.engines.sql import digest_query

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
EVER = (0, 2**40)


def digest(tmp_path: Path, *texts: str, window: tuple[int, int] = EVER) -> tuple[list[str], dict[str, int]]:
    objects = [FlowLogObject(f"o{n}", text.encode()) for n, text in enumerate(texts)]
    paths = stage_objects(objects, tmp_path, DigestFigures())
    out = io.BytesIO()
    result = duckdb_digest(paths, window[0], window[1], out)
    skipped = {reason: count for reason, count in result.figures.skipped.items() if count}
    return out.getvalue().decode().splitlines(), skipped


def record(
    start: int = 1000, end: int = 1060, status: str = "OK", sport: str = "40000", dport: str = "443"
) -> str:
    return f"2 111 eni-1 10.0.0.1 10.0.0.2 {sport} {dport} 6 1 10 {start} {end} ACCEPT {status}"


def test_a_layout_without_log_status_is_data_written_ok_when_it_carries_numbers(tmp_path: Path) -> None:
    text = "srcaddr dstaddr srcport dstport\n10.0.0.1 10.0.0.2 40000 443\n10.0.0.1 10.0.0.3 - -\n"
    lines, skipped = digest(tmp_path, text)
    assert lines == ["2 - - 10.0.0.1 10.0.0.2 0 443 - - - - - - OK"]
    assert skipped == {"unknown_status": 1}


def test_a_dash_or_unknown_log_status_is_skipped_under_its_own_reason(tmp_path: Path) -> None:
    rows = [record(status="-"), record(status="WHATEVER"), record(status="nodata"), record(status="SkipData")]
    lines, skipped = digest(tmp_path, "\n".join([HEADER, *rows, record(status="oK")]))
    assert lines == ["2 111 eni-1 10.0.0.1 10.0.0.2 0 443 6 1 10 1000 1060 ACCEPT oK"]
    assert skipped == {"unknown_status": 2, "nodata_skipdata": 2}


def test_times_from_ten_to_the_eleventh_on_are_milliseconds(tmp_path: Path) -> None:
    rows = [record(start=100_000_000_000, end=100_000_060_999), record(start=2**31, end=99_999_999_999)]
    lines, _ = digest(tmp_path, "\n".join(rows))
    assert [line.split()[10:12] for line in lines] == [["100000000", "99999999999"]]


def test_the_window_holds_starts_in_start_to_stop_and_falls_back_to_the_end(tmp_path: Path) -> None:
    rows = [
        record(start=999, sport="1"),
        record(start=1000, sport="2"),
        record(start=1999, sport="3"),
        record(start=2000, sport="4"),
        "2 111 eni-1 10.0.0.1 10.0.0.2 5 443 6 1 10 - 1500 ACCEPT OK",
        "2 111 eni-1 10.0.0.1 10.0.0.2 6 443 6 1 10 - 2500 ACCEPT OK",
        "2 111 eni-1 10.0.0.1 10.0.0.2 7 443 6 1 10 - - ACCEPT OK",
    ]
    lines, skipped = digest(tmp_path, "\n".join(rows), window=(1000, 2000))
    assert [line.split()[5] for line in lines] == ["2", "3", "5", "7"]
    assert skipped == {"outside_window": 3}


def test_equal_ports_zero_the_source_and_a_higher_source_is_the_ephemeral_one(tmp_path: Path) -> None:
    lines, _ = digest(tmp_path, "\n".join([record(sport="443", dport="443"), record(sport="50", dport="40")]))
    assert [line.split()[5:7] for line in lines] == [["0", "40"], ["0", "443"]]


def test_headers_lay_out_the_lines_after_them_in_their_object_only(tmp_path: Path) -> None:
    other = "srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status account-id interface-id version"
    first = "\n".join(
        [record(), other, "10.9.9.9 10.0.0.2 5 6 17 1 1 1000 1000 REJECT OK 111 eni-9 2", "10.0.0.1"]
    )
    lines, skipped = digest(tmp_path, first, record(sport="3", dport="2"))
    assert lines == [
        "2 111 eni-1 10.0.0.1 10.0.0.2 0 2 6 1 10 1000 1060 ACCEPT OK",
        "2 111 eni-1 10.0.0.1 10.0.0.2 0 443 6 1 10 1000 1060 ACCEPT OK",
        "2 111 eni-9 10.9.9.9 10.0.0.2 5 0 17 1 1 1000 1060 REJECT OK",
    ]
    assert skipped == {"field_count": 1}


def test_bad_numbers_and_unknown_layouts_are_counted_not_digested(tmp_path: Path) -> None:
    rows = [record(sport="4x"), record(sport="99999999999999999999"), "Phony unsupported log format."]
    lines, skipped = digest(tmp_path, "\n".join(rows))
    assert lines == []
    assert skipped == {"bad_number": 2, "unknown_layout": 1}


def test_the_sql_is_athenas_dialect_and_translates_to_duckdb() -> None:
    trino = digest_query(0, 10)
    assert sqlglot.parse_one(trino, read="trino") is not None
    assert "REGEXP_MATCHES" in digest_query(0, 10, "duckdb")
    assert trino.count("FROM flow_lines") == 1  # the one input the engines replace


def test_the_sql_and_the_builtin_kernel_share_the_millisecond_bound() -> None:
    from digests.engine import kernel
    from digests.engines import sql

    assert sql.MILLISECONDS_FROM == kernel.MILLISECONDS_FROM
