"""The digest engine (digests/engine/digest.py): Go fixtures, every corpus file, each layout and each bad input."""

from __future__ import annotations

import gzip
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from digests.engine import digest as engine
from digests.engine import kernel, kernel_layouts, tally
from digests.engine.digest import digest_objects
from digests.engine.figures import SKIP_REASONS, DigestFigures
from digests.engine.layouts import DEFAULT_TGW, DEFAULT_V2, RecordLayout, is_header, split_tokens
from digests.engine.objects import FlowLogObject, FlowLogReadError

DATA = Path(__file__).parents[1] / "data"
CORPORA = DATA / "corpora"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
EVER = (0, 2**40)  # a window that holds every record


def run(
    *objects: FlowLogObject | bytes, window: tuple[int, int] = EVER, **options: Any
) -> tuple[str, DigestFigures]:
    out = io.BytesIO()
    items = [
        o if isinstance(o, FlowLogObject) else FlowLogObject(f"object-{n}", o) for n, o in enumerate(objects)
    ]
    figures = digest_objects(items, window[0], window[1], out, **options)
    return out.getvalue().decode(), figures


def lines(*objects: FlowLogObject | bytes, **options: Any) -> list[str]:
    return run(*objects, **options)[0].splitlines()


def text(*rows: str, header: str | None = HEADER, end: str = "\n") -> bytes:
    return (end.join([*([header] if header else []), *rows]) + end).encode("utf-8", "surrogateescape")


def skipped(figures: DigestFigures) -> dict[str, int]:
    return {reason: count for reason, count in figures.skipped.items() if count}


def corpus(name: str) -> FlowLogObject:
    return FlowLogObject(name, (CORPORA / name).read_bytes())


def v2(
    src: str = "10.0.0.1", dst: str = "10.0.0.2", sport: str = "40000", dport: str = "443", **fields: str
) -> str:
    values = {
        "account": "111122223333",
        "eni": "eni-1",
        "protocol": "6",
        "packets": "10",
        "bytes": "1000",
        "start": "1000",
        "end": "1060",
        "action": "ACCEPT",
        "status": "OK",
    } | fields
    return (
        f"2 {values['account']} {values['eni']} {src} {dst} {sport} {dport} {values['protocol']} "
        f"{values['packets']} {values['bytes']} {values['start']} {values['end']} {values['action']} {values['status']}"
    )


# --- the Go fixtures (docs/go-services-behaviour.md §2.7) ----------------------------------------------------------


def test_happy_path_fixture_gives_the_go_digest() -> None:
    digest, figures = run((DATA / "go-fixtures" / "happy-path.log").read_bytes())
    assert digest.splitlines() == [
        "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 20 1000 1418530010 1818530070 REJECT OK",
        "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 80 4000 1418530010 1818530070 ACCEPT OK",
    ]
    assert (figures.records, figures.in_window, figures.groups) == (6, 5, 2)
    assert skipped(figures) == {"nodata_skipdata": 1}


def test_bidirectional_fixture_gives_the_go_digest() -> None:
    digest, figures = run((DATA / "go-fixtures" / "bidirectional-case.log").read_bytes())
    assert set(digest.splitlines()) == {
        "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 20 1000 1418530010 1818530070 REJECT OK",
        "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 40 2000 1418530010 1818530070 ACCEPT OK",
        "2 123456789010 eni-abc123de 172.31.16.21 172.31.16.139 80 0 6 40 2000 1418530010 1818530070 ACCEPT OK",
    }
    assert figures.groups == 3


def test_go_fixture_files_end_without_a_newline() -> None:
    for name in ("happy-path.log", "bidirectional-case.log"):
        assert not (DATA / "go-fixtures" / name).read_bytes().endswith(b"\n")


def test_digest_lines_are_sorted_and_each_ends_with_a_newline() -> None:
    digest, _ = run((DATA / "go-fixtures" / "bidirectional-case.log").read_bytes())
    assert digest.endswith("\n")
    assert digest.count("\n") == 3
    assert digest.splitlines() == sorted(digest.splitlines())


def test_no_objects_give_an_empty_digest_and_zero_figures() -> None:
    digest, figures = run()
    assert digest == ""
    assert figures == DigestFigures()


# --- every corpus file ----------------------------------------------------------------------------------

# file: (records, in_window, groups, skipped)
CORPUS_FIGURES: dict[str, tuple[int, int, int, dict[str, int]]] = {
    # Firehose JSON: no line is 14 or 36 tokens long
    "aws-vpc-flow-log-appender/event.json": (31, 0, 0, {"unknown_layout": 31}),
    "elastic-beats-vpcflow/accept-reject-traffic.log": (4, 4, 4, {}),
    "elastic-beats-vpcflow/bad.log": (1, 0, 0, {"unknown_layout": 1}),
    # no log-status and no number fields, but both addresses: AWS's NAT gateway example, data
    "elastic-beats-vpcflow/custom-nat-gateway.log": (2, 2, 2, {}),
    # 17 tokens and no header
    "elastic-beats-vpcflow/custom-transit-gateway.log": (1, 0, 0, {"unknown_layout": 1}),
    "elastic-beats-vpcflow/ipv6.log": (1, 1, 1, {}),
    "elastic-beats-vpcflow/no-data-skip-data.log": (2, 0, 0, {"nodata_skipdata": 2}),
    # YAML, not a flow log: only the `format:` line of the v6 case (36 tokens, status token `log-status`)
    # and its 36-token sample read as Transit Gateway default lines
    "elastic-beats-vpcflow/processor-testdata/aws-vpc-flow-logs.yml": (
        90,
        1,
        1,
        {"unknown_layout": 88, "unknown_status": 1},
    ),
    # a blank line and a repeated header mid-file
    "elastic-beats-vpcflow/tcp-flag-sequence-skip-data.log": (2, 0, 0, {"nodata_skipdata": 2}),
    "elastic-beats-vpcflow/tcp-flag-sequence.log": (1, 1, 1, {}),
    # 7 v2 lines (2 NODATA/SKIPDATA), one ECS line of 39 tokens, one TGW SKIPDATA line
    "elastic-integrations-vpcflow/deploy-tf/test-extra-samples.log": (
        9,
        5,
        5,
        {"unknown_layout": 1, "nodata_skipdata": 3},
    ),
    "elastic-integrations-vpcflow/test-ecs-samples.log": (10, 0, 0, {"unknown_layout": 10}),
    "elastic-integrations-vpcflow/test-extra-samples.log": (7, 5, 5, {"nodata_skipdata": 2}),
    "elastic-integrations-vpcflow/test-tcp-flag-sequence.log": (3, 1, 1, {"nodata_skipdata": 2}),
    "elastic-integrations-vpcflow/test-tgw-samples.log": (10, 3, 3, {"nodata_skipdata": 7}),
    "elastic-integrations-vpcflow/test-v5-all-fields.log": (1, 0, 0, {"unknown_layout": 1}),
    "elastic-integrations-vpcflow/test-v8-samples.log": (1, 0, 0, {"unknown_layout": 1}),
    # 14 tokens once split: read as v2, its status token `NODATA"}` is no status AWS writes
    "elastic-integrations-vpcflow/test-with-message-field.log": (1, 0, 0, {"unknown_status": 1}),
    "flowlogs-reader/flows.parquet": (3, 1, 1, {"nodata_skipdata": 2}),
    "loki-lambda-promtail/vpcflowlog.log.gz": (3, 3, 3, {}),
    "otel-awslogsencoding/valid_tgw_flow_cw.json": (1, 0, 0, {"unknown_layout": 1}),
    "otel-awslogsencoding/valid_tgw_flow_log.log": (1, 1, 1, {}),
    "otel-awslogsencoding/valid_vpc_flow_cw.json": (1, 0, 0, {"unknown_layout": 1}),
    "otel-awslogsencoding/valid_vpc_flow_cw_custom.json": (1, 0, 0, {"unknown_layout": 1}),
    "otel-awslogsencoding/valid_vpc_flow_log.log": (1, 0, 0, {"nodata_skipdata": 1}),
    "otel-awslogsencoding/valid_vpc_flow_log_ecs.log": (1, 1, 1, {}),
    "otel-awslogsencoding/valid_vpc_flow_log_multi.log": (2, 2, 2, {}),
    "otel-awslogsencoding/vpc_flow_log_too_few_fields.log": (1, 0, 0, {"field_count": 1}),
    "otel-awslogsencoding/vpc_flow_log_too_many_fields.log": (1, 0, 0, {"field_count": 1}),
    "sekoia-aws/111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.parquet": (
        7,
        7,
        5,
        {},
    ),
}


def test_the_expectations_cover_every_corpus_file() -> None:
    present = {str(path.relative_to(CORPORA)) for path in CORPORA.rglob("*") if path.is_file()}
    assert present - {"SOURCES.md"} == set(CORPUS_FIGURES)


@pytest.mark.parametrize("name", sorted(CORPUS_FIGURES))
def test_every_corpus_file_gives_its_expected_figures(name: str) -> None:
    records, in_window, groups, reasons = CORPUS_FIGURES[name]
    digest, figures = run(corpus(name))
    assert (figures.records, figures.in_window, figures.groups) == (records, in_window, groups)
    assert skipped(figures) == reasons
    assert figures.records == figures.in_window + sum(figures.skipped.values())
    assert (figures.files, figures.bytes_read) == (1, (CORPORA / name).stat().st_size)
    assert len(digest.splitlines()) == groups
    assert all(len(line.split(" ")) == 14 and line.startswith("2 ") for line in digest.splitlines())


def test_all_corpus_files_in_one_call_add_up() -> None:
    _, figures = run(*(corpus(name) for name in sorted(CORPUS_FIGURES)))
    assert figures.files == len(CORPUS_FIGURES)
    assert figures.records == sum(expected[0] for expected in CORPUS_FIGURES.values())
    assert figures.in_window == sum(expected[1] for expected in CORPUS_FIGURES.values())


def test_loki_gzip_file_gives_its_exact_digest() -> None:
    assert lines(corpus("loki-lambda-promtail/vpcflowlog.log.gz")) == [
        "2 123456789012 eni-0050644426037aa0f 10.26.1.153 3.239.232.29 0 443 6 48 21869 1669842701 1669842716 ACCEPT OK",
        "2 123456789012 eni-0050644426037aa0f 3.239.232.29 10.26.1.153 443 0 6 47 12071 1669842701 1669842716 ACCEPT OK",
        "2 123456789012 eni-01971454a0f14024a 10.26.0.9 10.26.4.139 5007 0 6 2 112 1669842701 1669842716 ACCEPT OK",
    ]


def test_aws_parquet_file_gives_its_exact_digest() -> None:
    name = (
        "sekoia-aws/111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.parquet"
    )
    bounds = "1661950735 1661950746"
    assert lines(corpus(name)) == [
        f"2 111111111111 eni-03ef80ddb18bc0997 124.234.182.240 172.31.17.39 0 2323 6 1 40 {bounds} REJECT OK",
        f"2 111111111111 eni-03ef80ddb18bc0997 167.94.138.130 172.31.17.39 0 8849 6 1 44 {bounds} REJECT OK",
        f"2 111111111111 eni-03ef80ddb18bc0997 172.31.17.39 78.197.123.35 4712 0 6 25 5272 {bounds} ACCEPT OK",
        f"2 111111111111 eni-03ef80ddb18bc0997 64.62.197.99 172.31.17.39 0 20547 6 1 40 {bounds} REJECT OK",
        f"2 111111111111 eni-03ef80ddb18bc0997 78.197.123.35 172.31.17.39 0 4712 6 36 9120 {bounds} ACCEPT OK",
    ]


def test_lenient_parquet_with_numbers_as_strings_gives_its_exact_digest() -> None:
    # account_id is int64, ports and counts are strings; the 'None' rows are NODATA anyway
    assert lines(corpus("flowlogs-reader/flows.parquet")) == [
        "2 123456789010 eni-102010ab 198.51.100.1 192.0.2.1 443 0 6 10 840 1439387263 1439387264 ACCEPT OK"
    ]


def test_transit_gateway_default_layout_has_no_interface_or_action() -> None:
    assert lines(corpus("elastic-integrations-vpcflow/test-tgw-samples.log")) == [
        "2 748335378900 - 216.160.83.56 89.160.20.128 0 8080 17 13 6842 1755592553 1755592652 - OK",
        "2 748335378900 - 67.43.156.0 216.160.83.56 0 443 6 42 4534 1755592553 1755592652 - OK",
        "2 748335378900 - 89.160.20.112 81.2.69.192 0 443 6 3 5749 1755592553 1755592652 - OK",
    ]


def test_custom_transit_gateway_header_is_mapped_by_name() -> None:
    assert lines(corpus("otel-awslogsencoding/valid_tgw_flow_log.log")) == [
        "2 123456789012 - 10.0.0.1 10.0.1.1 0 443 6 10 1000 1700000000 1700000060 - OK"
    ]


def test_a_layout_without_status_or_numbers_keeps_the_records_that_name_both_addresses() -> None:
    digest, figures = run(corpus("elastic-beats-vpcflow/custom-nat-gateway.log"))
    assert digest.splitlines() == [
        "2 - eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 - - - - - - - - OK",
        "2 - eni-1235b8ca123456789 10.0.1.5 10.0.0.220 - - - - - - - - OK",
    ]
    assert skipped(figures) == {}
    _, nodata = run(text("10.0.0.1 -", "- 10.0.0.2", header="srcaddr dstaddr"))
    assert skipped(nodata) == {"unknown_status": 2}  # one address alone says no flow


def test_a_layout_without_status_writes_ok_for_records_that_carry_numbers() -> None:
    custom = "srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    digest, figures = run(
        text(
            "10.0.0.1 10.0.0.2 40000 443 6 10 1000 1000 1060 ACCEPT",
            "10.0.0.1 10.0.0.2 40001 443 6 5 500 1000 1060 ACCEPT",
            "- - - - - - - 900 5000 -",  # a NODATA record, written without its status
            header=custom,
        ),
        text(v2(account="-", eni="-")),  # the same connection from a file with log-status
    )
    assert digest.splitlines() == ["2 - - 10.0.0.1 10.0.0.2 0 443 6 25 2500 1000 1060 ACCEPT OK"]
    assert skipped(figures) == {"unknown_status": 1}


def test_the_status_rules_are_the_same_on_the_fast_and_careful_paths() -> None:
    custom = "srcaddr dstaddr srcport dstport packets start end action"
    rows = [f"10.0.0.{n % 5} 10.0.1.1 {40000 + n} 443 {n} 1000 1060 ACCEPT" for n in range(40)]
    rows += ["- - - - - 900 5000 -"] * 3
    other = [v2(src=f"10.0.0.{n}", account="-", eni="-") for n in range(3)]
    other += [v2(status="-"), v2(status="NODATA"), v2(status="?")]
    fast = run(text(*rows, header=custom), text(*other))
    tabs = run(text(*rows, header=custom).replace(b" ", b"\t"), text(*other).replace(b" ", b"\t"))
    non_ascii = run(text(*rows, "é", header=custom), text(*other, "é"))
    assert fast[0].count(" OK\n") == 8  # five custom groups, three v2 ones
    assert tabs[0] == non_ascii[0] == fast[0]
    assert skipped(fast[1]) == {"unknown_status": 5, "nodata_skipdata": 1}
    assert skipped(tabs[1]) == skipped(fast[1])
    assert skipped(non_ascii[1]) == {**skipped(fast[1]), "field_count": 2}


def test_a_record_without_status_or_numbers_does_not_widen_start_and_end() -> None:
    custom = "srcaddr dstaddr packets start end action"
    digest = lines(text("10.0.0.1 10.0.0.2 7 1000 1060 ACCEPT", "- - - 10 99999 -", header=custom))
    assert digest == ["2 - - 10.0.0.1 10.0.0.2 - - - 7 - 1000 1060 ACCEPT OK"]


def test_headerless_file_mixing_v2_ecs_and_tgw_lines_reads_each_line_by_its_token_count() -> None:
    digest = lines(corpus("elastic-integrations-vpcflow/deploy-tf/test-extra-samples.log"))
    assert digest[0] == (
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 89.160.20.156 0 0 1 4 336 1418530010 1477913820 REJECT OK"
    )
    assert len(digest) == 5


# --- layouts ---------------------------------------------------------------------------------------------


def test_custom_field_order_is_mapped_by_the_header() -> None:
    header = "log-status action end start bytes packets protocol dstport srcport dstaddr srcaddr interface-id account-id"
    row = "OK ACCEPT 1060 1000 500 5 6 443 51000 10.0.0.2 10.0.0.1 eni-9 999988887777"
    assert lines(text(row, header=header)) == [
        "2 999988887777 eni-9 10.0.0.1 10.0.0.2 0 443 6 5 500 1000 1060 ACCEPT OK"
    ]


def test_version_5_layout_in_any_order_is_read_by_field_names() -> None:
    header = (
        "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id "
        "instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr "
        "pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
    )
    rows = [  # the AWS traffic-path example (elastic processor testdata)
        "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 "
        "subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 "
        "52.95.128.179 10.0.0.71 S3 - - ingress OK",
        "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 "
        "subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 "
        "10.0.0.71 52.95.128.179 - S3 8 egress OK",
    ]
    assert lines(text(*rows, header=header)) == [
        "2 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 0 80 6 7 471 1616729292 1616729349 ACCEPT OK",
        "2 123456789012 eni-1235b8ca123456789 52.95.128.179 10.0.0.71 80 0 6 14 15044 1616729292 1616729349 ACCEPT OK",
    ]


def test_version_3_tcp_flag_layout_is_digested() -> None:
    assert lines(corpus("elastic-beats-vpcflow/tcp-flag-sequence.log")) == [
        "2 123456789010 eni-1235b8ca123456789 52.213.180.42 10.0.0.62 0 5001 6 8 568 1566848875 1566848933 ACCEPT OK"
    ]


def test_all_version_5_fields_with_a_header_are_digested() -> None:
    header = (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
        "log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type "
        "sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
    )
    row = (CORPORA / "elastic-integrations-vpcflow/test-v5-all-fields.log").read_text()
    assert lines(text(row, header=header)) == [
        "2 64111117617 eni-069xxxxxb7a490 89.160.20.156 10.200.0.0 0 33004 17 52 1 164000066 1640000297 REJECT OK"
    ]


ECS_FIELDS = (
    "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id "
    "ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id"
)
V5_ORDER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type "
    "sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)


def test_ecs_fields_after_the_v5_fields_are_opaque_extras() -> None:
    rows = (CORPORA / "elastic-integrations-vpcflow/test-ecs-samples.log").read_text().splitlines()
    digest, figures = run(text(*rows, header=f"{V5_ORDER} {ECS_FIELDS}"))
    assert (figures.records, figures.in_window, skipped(figures)) == (10, 4, {"nodata_skipdata": 6})
    assert (
        digest.splitlines()[0]
        == "2 000000000000 - 1.128.0.0 2a02:cf40:: 0 22 17 46 14927 1755678619 1755678736 REJECT OK"
    )


def test_version_8_reject_reason_is_an_opaque_extra() -> None:
    row = (CORPORA / "elastic-integrations-vpcflow/test-v8-samples.log").read_text().strip()
    ok_row = row.replace("REJECT NODATA", "REJECT OK")
    digest, figures = run(text(row, ok_row, header=f"{V5_ORDER} {ECS_FIELDS} reject-reason"))
    assert digest.splitlines() == [
        "2 000000000000 - 2a02:cf40:: 1.128.0.0 0 80 17 51 33615 1755678754 1755678775 REJECT OK"
    ]
    assert skipped(figures) == {"nodata_skipdata": 1}


def test_ecs_record_of_the_otel_corpus_is_digested() -> None:
    assert lines(corpus("otel-awslogsencoding/valid_vpc_flow_log_ecs.log")) == [
        "2 123456789012 eni-0abc1234def567890 10.0.1.100 10.0.2.200 0 22 6 15 3500 1700000000 1700000060 ACCEPT OK"
    ]


def test_unknown_header_fields_are_kept_as_opaque_strings() -> None:
    header = f"{HEADER} resource-id encryption-status some-future-field"
    assert lines(text(v2() + " vpc-123 2 whatever", header=header)) == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]


def test_repeated_header_lines_are_not_records() -> None:
    digest, figures = run(corpus("elastic-integrations-vpcflow/test-tcp-flag-sequence.log"))
    assert figures.records == 3
    assert digest.splitlines() == [
        "2 123456789010 eni-1235b8ca123456789 52.213.180.42 10.0.0.62 0 5001 6 8 568 1566848875 1566848933 ACCEPT OK"
    ]


def test_a_header_mid_file_switches_the_layout() -> None:
    custom = "srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status interface-id"
    data = text(
        v2(),
        custom,
        "10.9.9.9 10.8.8.8 443 50000 6 1 2 1000 1001 REJECT OK eni-2",
        v2(),  # 14 tokens while the 12-field layout is in force
    )
    digest, figures = run(data)
    assert digest.splitlines() == [
        "2 - eni-2 10.9.9.9 10.8.8.8 443 0 6 1 2 1000 1060 REJECT OK",
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK",
    ]
    assert skipped(figures) == {"field_count": 1}


def test_a_header_in_one_object_does_not_leak_into_the_next() -> None:
    custom = text("eni-7 10.0.0.1 3", header="interface-id srcaddr packets")
    plain = text(v2(), header=None)
    digest, figures = run(custom, plain)
    assert (figures.records, figures.in_window) == (2, 2)
    assert "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK" in digest.splitlines()


def test_a_headerless_line_of_36_tokens_is_a_transit_gateway_record_and_others_are_unknown() -> None:
    tgw = (CORPORA / "elastic-integrations-vpcflow/test-tgw-samples.log").read_text().splitlines()[2]
    digest, figures = run(text(tgw, "2 a b c", header=None))
    assert digest.splitlines() == [
        "2 748335378900 - 216.160.83.56 89.160.20.128 0 8080 17 13 6842 1755592553 1755592580 - OK"
    ]
    assert skipped(figures) == {"unknown_layout": 1}


def test_the_version_value_never_picks_the_layout() -> None:
    assert lines(text(v2().replace("2 ", "7 ", 1))) == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]


# --- record rules ----------------------------------------------------------------------------------------


def test_double_spaces_tabs_and_crlf_count_as_single_spaces() -> None:
    messy = v2().replace(" ", "  ", 3).replace("eni-1 ", "eni-1\t")
    digest, figures = run(text(messy, v2(sport="40001"), end="\r\n"))
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 20 2000 1000 1060 ACCEPT OK"
    ]
    assert figures.records == 2


def test_blank_lines_are_ignored_not_counted() -> None:
    digest, figures = run(text("", v2(), "   ", "", v2(sport="40001"), ""))
    assert (figures.records, figures.in_window, skipped(figures)) == (2, 2, {})
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 20 2000 1000 1060 ACCEPT OK"
    ]


def test_a_missing_final_newline_still_reads_the_last_line() -> None:
    data = text(v2(), v2(dst="10.0.0.3"))[:-1]
    assert not data.endswith(b"\n")
    assert len(lines(data)) == 2


def test_millisecond_timestamps_are_read_as_seconds() -> None:
    digest, figures = run(
        text(
            v2(start="1546300800000", end="1546300860000"),
            v2(dst="10.0.0.3", start="1546300900", end="1546300950"),
        ),
        window=(1546300800, 1546300900),
    )
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1546300800 1546300860 ACCEPT OK"
    ]
    assert skipped(figures) == {"outside_window": 1}


def test_second_timestamps_after_2038_stay_seconds() -> None:
    in_2040 = 2208988800  # 2040-01-01T00:00:00Z, above 2**31 - 1
    digest, figures = run(
        text(v2(start=str(in_2040), end=str(in_2040 + 60))), window=(in_2040, in_2040 + 3600)
    )
    assert digest.splitlines() == [
        f"2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 {in_2040} {in_2040 + 60} ACCEPT OK"
    ]
    assert figures.in_window == 1


def test_milliseconds_start_at_ten_to_the_eleventh() -> None:
    digest = lines(
        text(
            v2(start="99999999999", end="99999999999"),
            v2(src="10.0.0.9", start="100000000000", end="100000000000"),
        )
    )
    assert [line.split(" ")[10:12] for line in digest] == [["100000000", "99999999999"]] * 2


def test_ephemeral_port_rule_zeroes_the_higher_port_or_the_source_when_equal() -> None:
    digest = lines(
        text(
            v2(sport="443", dport="50000"),
            v2(src="10.1.1.1", sport="8080", dport="8080"),
            v2(src="10.2.2.2", sport="-", dport="53"),
        )
    )
    assert digest == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 443 0 6 10 1000 1000 1060 ACCEPT OK",
        "2 111122223333 eni-1 10.1.1.1 10.0.0.2 0 8080 6 10 1000 1000 1060 ACCEPT OK",
        "2 111122223333 eni-1 10.2.2.2 10.0.0.2 - 53 6 10 1000 1000 1060 ACCEPT OK",
    ]


def test_numbers_are_written_in_canonical_decimal() -> None:
    assert lines(text(v2(sport="050000", dport="+443", protocol="06"))) == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]


def test_sums_treat_dash_as_zero_but_a_group_without_any_value_writes_dash() -> None:
    digest = lines(
        text(
            v2(packets="-", bytes="-"),
            v2(sport="40001", packets="-", bytes="-"),
            v2(src="10.5.5.5", packets="3", bytes="-"),
            v2(src="10.5.5.5", sport="40001", packets="-", bytes="-"),
        )
    )
    assert digest == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 - - 1000 1060 ACCEPT OK",
        "2 111122223333 eni-1 10.5.5.5 10.0.0.2 0 443 6 3 - 1000 1060 ACCEPT OK",
    ]


def test_start_and_end_are_the_global_bounds_of_the_kept_records() -> None:
    digest = lines(
        text(
            v2(start="1100", end="1200"),
            v2(src="10.5.5.5", start="1050", end="1150"),
            v2(src="10.6.6.6", start="900", end="9999", status="NODATA"),
        )
    )
    assert [line.split(" ")[10:12] for line in digest] == [["1050", "1200"], ["1050", "1200"]]


def test_action_and_status_keep_their_case_and_lowercase_ok_is_ok() -> None:
    digest, figures = run(text(v2(), v2(status="ok"), v2(status="Ok", action="accept"), v2(status="NoData")))
    assert [line.split(" ", 12)[12] for line in digest.splitlines()] == [
        "ACCEPT OK",
        "ACCEPT ok",
        "accept Ok",
    ]
    assert skipped(figures) == {"nodata_skipdata": 1}


def test_a_dash_or_unknown_status_is_skipped_and_does_not_widen_start_and_end() -> None:
    digest, figures = run(
        text(
            v2(),
            v2(src="10.0.0.7", status="-", start="10", end="99999"),
            v2(src="10.0.0.8", status="PENDING", start="10", end="99999"),
            v2(src="10.0.0.9", status="skipdata"),
        )
    )
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]
    assert skipped(figures) == {"unknown_status": 2, "nodata_skipdata": 1}


def test_invalid_utf8_bytes_are_replaced_not_fatal() -> None:
    data = text(v2(eni="eni-\xff")).replace("eni-\xff".encode(), b"eni-\xff\xfe")
    assert lines(data) == [
        "2 111122223333 eni-\ufffd\ufffd 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]


# --- skip reasons ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        v2(sport="NaN"),
        v2(dport="NaN"),
        v2(bytes="NaN"),
        v2(packets="NaN"),
        v2(protocol="tcp"),
        v2(start="1e9"),
        v2(end="soon"),
        v2(packets="99999999999999999999"),
    ],
)
def test_each_bad_number_skips_only_its_record(bad: str) -> None:
    digest, figures = run(text(v2(), bad))
    assert skipped(figures) == {"bad_number": 1}
    assert (figures.records, figures.in_window, figures.groups) == (2, 1, 1)
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 1000 1060 ACCEPT OK"
    ]


def test_dash_start_and_end_are_no_value_not_bad_numbers() -> None:
    digest, figures = run(text(v2(start="-", end="-")))
    assert digest.splitlines() == ["2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 1000 - - ACCEPT OK"]
    assert figures.in_window == 1


def test_skip_reasons_follow_their_precedence() -> None:
    digest, figures = run(
        text(
            "Phony unsupported log format.",  # before any header: unknown layout
            header=None,
        ),
        text(
            v2() + " extra",  # field_count beats the rest
            v2(packets="NaN", status="SKIPDATA"),  # nodata beats bad_number
            v2(packets="NaN", status="-"),  # so does an unknown status
            v2(packets="NaN", start="1"),  # bad_number beats outside_window
            v2(start="1"),  # outside_window
            v2(),
        ),
        window=(1000, 2000),
    )
    assert figures.skipped == {
        "unknown_layout": 1,
        "field_count": 1,
        "bad_number": 1,
        "nodata_skipdata": 1,
        "unknown_status": 1,
        "outside_window": 1,
    }
    assert (figures.records, figures.in_window, len(digest.splitlines())) == (7, 1, 1)
    assert set(figures.skipped) == set(SKIP_REASONS)


def test_short_lines_and_empty_fields_are_field_count_even_among_good_lines() -> None:
    short = "2 111122223333 eni-1 10.0.0.1 10.0.0.2 40000 443 6 10  1000 1060 ACCEPT OK"  # bytes missing
    custom = "srcaddr dstaddr action log-status packets start"
    _, figures = run(
        text(v2(), short, v2(packets="-", sport="40001")),
        text("10.0.0.1 10.0.0.2 ACCEPT OK 5 1000", "10.0.0.1 10.0.0.2 ACCEPT OK 5", header=custom),
    )
    assert skipped(figures) == {"field_count": 2}
    assert figures.in_window == 3


def test_nodata_lines_with_dashes_everywhere_are_counted_on_the_fast_path() -> None:
    nodata = "2 111122223333 eni-1 - - - - - - - 1000 1060 - NODATA"
    digest, figures = run(text(*[v2(sport=str(40000 + n)) for n in range(50)], nodata, nodata))
    assert skipped(figures) == {"nodata_skipdata": 2}
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 500 50000 1000 1060 ACCEPT OK"
    ]


# --- the window ------------------------------------------------------------------------------------------


def test_a_record_starting_at_start_is_kept_and_one_starting_at_stop_is_not() -> None:
    digest, figures = run(
        text(
            v2(start="999"),
            v2(src="10.0.0.5", start="1000"),
            v2(src="10.0.0.6", start="1999"),
            v2(start="2000"),
        ),
        window=(1000, 2000),
    )
    assert [line.split(" ")[3] for line in digest.splitlines()] == ["10.0.0.5", "10.0.0.6"]
    assert skipped(figures) == {"outside_window": 2}


def test_adjacent_windows_split_the_records_exactly_once() -> None:
    data = text(*[v2(sport=str(40000 + n), start=str(1000 + n * 7)) for n in range(100)])
    first = run(data, window=(1000, 1350))[1].in_window
    second = run(data, window=(1350, 2000))[1].in_window
    assert (first, second) == (50, 50)


def test_a_layout_without_start_uses_end_and_without_either_keeps_the_record() -> None:
    digest, figures = run(
        text("10.0.0.1 5000 1", "10.0.0.2 1500 1", header="srcaddr end bytes"),
        text("10.0.0.3 1", header="srcaddr bytes"),
        window=(1000, 2000),
    )
    assert [line.split(" ")[3] for line in digest.splitlines()] == ["10.0.0.2", "10.0.0.3"]
    assert skipped(figures) == {"outside_window": 1}


def test_a_record_with_a_dash_start_uses_its_end_for_the_window() -> None:
    digest, figures = run(
        text(v2(start="-", end="1500"), v2(src="10.0.0.9", start="-", end="5000")), window=(1000, 2000)
    )
    assert len(digest.splitlines()) == 1
    assert skipped(figures) == {"outside_window": 1}


# --- Parquet and mixed inputs -----------------------------------------------------------------------------


def parquet(table: dict[str, list[Any]], types: dict[str, pa.DataType] | None = None) -> bytes:
    types = types or {}
    arrays = {name: pa.array(values, type=types.get(name)) for name, values in table.items()}
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays), sink)
    return sink.getvalue()


def test_parquet_columns_map_by_underscored_names_in_any_order() -> None:
    data = parquet(
        {
            "log_status": ["OK", "OK", "NODATA", "OK", "OK"],
            "srcaddr": ["10.0.0.1", "10.0.0.1", None, "10.0.0.7", "10.0.0.8"],
            "dstaddr": ["10.0.0.2", "10.0.0.2", None, "10.0.0.2", "10.0.0.2"],
            "srcport": [40000, 40001, None, 1, 2],
            "dstport": [443, 443, None, 2, 1],
            "protocol": ["6", "6", "None", "x", "17"],
            "packets": [1, None, None, 1, 1],
            "bytes": [100, 200, None, 1, 1],
            "start": [1546300800000, 1546300801, 1546300802, 1546300803, 1546300804],
            "end": [1546300860, 1546300861, 1546300862, 1546300863, 1546300864],
            "action": ["ACCEPT", "ACCEPT", None, "ACCEPT", "REJECT"],
            "interface_id": ["eni-1", "eni-1", "eni-2", "eni-1", "eni 3"],
            "account_id": [111122223333] * 5,
            "tcp_flags": [2, 2, 0, 2, 2],
        },
        {"srcport": pa.int32(), "dstport": pa.int32()},
    )
    digest, figures = run(data)
    assert digest.splitlines() == [
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 1 300 1546300800 1546300864 ACCEPT OK",
        "2 111122223333 eni_3 10.0.0.8 10.0.0.2 0 1 17 1 1 1546300800 1546300864 REJECT OK",
    ]
    assert skipped(figures) == {"nodata_skipdata": 1, "bad_number": 1}


def test_parquet_without_any_flow_log_column_is_unknown_layout() -> None:
    _, figures = run(parquet({"foo": [1, 2, 3]}))
    assert skipped(figures) == {"unknown_layout": 3}


def test_parquet_with_only_opaque_known_columns_has_no_data_to_keep() -> None:
    digest, figures = run(parquet({"vpc_id": ["vpc-1", "vpc-2"]}))
    assert digest == ""
    assert skipped(figures) == {"unknown_status": 2}


def test_parquet_without_a_status_column_reads_records_as_text_files_do() -> None:
    table: dict[str, list[Any]] = {
        "srcaddr": ["10.0.0.1", None],
        "dstaddr": ["10.0.0.2", None],
        "packets": [3, None],
    }
    digest, figures = run(parquet(table, {"packets": pa.int64()}))
    assert digest.splitlines() == ["2 - - 10.0.0.1 10.0.0.2 - - - 3 - - - - OK"]
    assert skipped(figures) == {"unknown_status": 1}
    header = "srcaddr dstaddr packets"
    as_text = run(text("10.0.0.1 10.0.0.2 3", "- - -", header=header))
    assert (as_text[0], as_text[1].skipped, as_text[1].in_window) == (digest, figures.skipped, 1)


def test_parquet_null_or_dash_status_is_unknown() -> None:
    table: dict[str, list[Any]] = {
        "srcaddr": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        "packets": [1, 2, 3],
        "log_status": ["OK", None, "-"],
    }
    digest, figures = run(parquet(table))
    assert digest.splitlines() == ["2 - - 10.0.0.1 - - - - 1 - - - - OK"]
    assert skipped(figures) == {"unknown_status": 2}


def test_gzip_plain_and_parquet_objects_mix_in_one_call() -> None:
    name = (
        "sekoia-aws/111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.parquet"
    )
    go_fixture = (DATA / "go-fixtures" / "happy-path.log").read_bytes()
    digest, figures = run(corpus(name), gzip.compress(go_fixture), corpus("elastic-beats-vpcflow/ipv6.log"))
    assert (figures.files, figures.records, figures.in_window, figures.groups) == (3, 14, 13, 8)
    assert all(
        line.endswith(" 1418530010 1818530070 ACCEPT OK") or "REJECT OK" in line
        for line in digest.splitlines()
    )


def test_gzip_is_detected_by_magic_bytes_not_by_name() -> None:
    go_fixture = (DATA / "go-fixtures" / "happy-path.log").read_bytes()
    as_plain_name = run(FlowLogObject("flows.txt", gzip.compress(go_fixture)))
    as_gzip_name = run(FlowLogObject("flows.log.gz", go_fixture))
    assert as_plain_name[0] == as_gzip_name[0] != ""


def test_concatenated_gzip_members_are_read_as_one_stream() -> None:
    data = gzip.compress(text(v2())) + gzip.compress(text(v2(sport="40001"), header=None))
    assert lines(data) == ["2 111122223333 eni-1 10.0.0.1 10.0.0.2 0 443 6 20 2000 1000 1060 ACCEPT OK"]


# --- unreadable objects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(text(v2()))[:-12],  # truncated
        gzip.compress(text(v2()))[:10] + b"\x00" * 40,  # corrupt deflate data
        gzip.compress(text(v2()))[:-8] + b"\x00\x00\x00\x00" + gzip.compress(text(v2()))[-4:],  # bad CRC
        b"PAR1 this is not a parquet file PAR1",
    ],
    ids=["truncated-gzip", "corrupt-gzip", "bad-crc", "bad-parquet"],
)
def test_an_undecodable_object_raises_flow_log_read_error_naming_its_key(data: bytes) -> None:
    good = FlowLogObject("good.log", text(v2()))
    with pytest.raises(FlowLogReadError) as raised:
        run(good, FlowLogObject("AWSLogs/x/broken.log.gz", data))
    assert raised.value.key == "AWSLogs/x/broken.log.gz"
    assert "AWSLogs/x/broken.log.gz" in str(raised.value)


@pytest.mark.parametrize("read_ahead", [0, 2])
def test_the_sources_own_read_error_passes_through_and_closes_the_source(read_ahead: int) -> None:
    closed = []

    def objects() -> Iterator[FlowLogObject]:
        try:
            yield FlowLogObject("a.log", text(v2()))
            raise FlowLogReadError("b.log", "access denied")
        finally:
            closed.append(True)

    with pytest.raises(FlowLogReadError, match="access denied"):
        digest_objects(objects(), *EVER, io.BytesIO(), read_ahead=read_ahead)
    assert closed == [True]


def test_a_failed_object_stops_the_source_early() -> None:
    pulled = []

    def objects() -> Iterator[FlowLogObject]:
        for number in range(100):
            pulled.append(number)
            data = b"\x1f\x8b broken" if number == 1 else text(v2())
            yield FlowLogObject(f"{number}.log.gz", data)

    with pytest.raises(FlowLogReadError):
        digest_objects(objects(), *EVER, io.BytesIO())
    assert len(pulled) < 100


# --- determinism, chunking and grouping -------------------------------------------------------------------


def many_records(count: int, flows: int = 37) -> list[str]:
    rows = []
    for n in range(count):
        flow = n % flows
        rows.append(
            v2(
                src=f"10.0.{flow}.1",
                sport=str(30000 + n % 5000) if flow % 2 else "443",
                dport="443" if flow % 2 else str(30000 + n % 5000),
                packets=str(n % 7),
                bytes="-" if n % 11 == 0 else str(n),
                start=str(1000 + n % 900),
                end=str(1100 + n % 900),
                status="NODATA" if n % 97 == 0 else "OK",
            )
        )
    return rows


def test_the_same_objects_in_another_order_give_byte_identical_output() -> None:
    rows = many_records(300)
    objects: list[bytes] = [gzip.compress(text(*rows[n::3])) for n in range(3)]
    objects.append((DATA / "go-fixtures" / "happy-path.log").read_bytes())
    forward = run(*objects)
    backward = run(*reversed(objects))
    assert forward[0] == backward[0]
    assert forward[1] == backward[1]


def test_small_blocks_table_growth_and_several_workers_give_the_same_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = many_records(3000)
    objects = [gzip.compress(text(*rows[:1700])), text(*rows[1700:]), text(*many_records(900, flows=400))]
    whole = run(*objects, workers=1)
    growths = []
    original = tally.Tally._grow_table

    def counted(self: tally.Tally) -> None:
        growths.append(self.groups)
        original(self)

    monkeypatch.setattr(tally, "FIRST_SLOTS", 64)
    monkeypatch.setattr(tally, "FIRST_ARENA", 256)
    monkeypatch.setattr(tally.Tally, "_grow_table", counted)
    for workers in (1, 2, 3):
        assert run(*objects, block_bytes=2048, workers=workers, read_ahead=3) == whole
    assert len(growths) >= 3
    assert whole[1].groups > 300


def test_keys_that_differ_only_in_where_a_field_ends_stay_apart() -> None:
    digest = lines(text(v2(account="ab", eni="c"), v2(account="a", eni="bc"), v2(account="a", eni="bc")))
    assert [line.split()[1:3] for line in digest] == [["a", "bc"], ["ab", "c"]]


def test_an_absent_field_and_a_dash_value_are_the_same_key() -> None:
    custom = "version account-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    without_eni = text("2 111122223333 10.0.0.1 10.0.0.2 40000 443 6 1 10 1000 1100 ACCEPT OK", header=custom)
    with_dash = text(v2(eni="-"))
    assert lines(without_eni, with_dash) == [
        "2 111122223333 - 10.0.0.1 10.0.0.2 0 443 6 11 1010 1000 1100 ACCEPT OK"
    ]


def test_fast_and_slow_paths_agree_on_the_same_records() -> None:
    rows = many_records(400)
    fast = run(text(*rows))
    slow = run(text(*rows, "Phony line."))  # one odd line sends the chunk down the line-by-line path
    assert slow[0] == fast[0]
    assert slow[1].skipped["unknown_layout"] == 0
    assert slow[1].skipped["field_count"] == 1
    assert slow[1].in_window == fast[1].in_window


def test_inline_and_threaded_decoding_agree() -> None:
    objects: list[FlowLogObject | bytes] = [
        gzip.compress(text(*many_records(200))),
        corpus("loki-lambda-promtail/vpcflowlog.log.gz"),
    ]
    assert run(*objects, read_ahead=0, workers=1) == run(*objects, read_ahead=4, block_bytes=1024, workers=4)


# --- records.py ----------------------------------------------------------------------------------------


def test_header_detection_needs_names_only_and_one_known_field() -> None:
    assert is_header(split_tokens(HEADER.encode()))
    assert is_header(split_tokens(b"instance-id interface-id srcaddr"))
    assert is_header(split_tokens(b"account_id log_status"))
    assert not is_header(split_tokens(b"foo bar"))
    assert not is_header(split_tokens(b"eni-1 10.0.0.1"))
    assert not is_header(split_tokens(b"us-east-1 ingress"))
    assert not is_header([])


def test_default_layouts_are_chosen_by_token_count_only() -> None:
    rows, width = kernel_layouts.layout_rows(None)
    columns = kernel.LAYOUT_COLUMNS
    assert (width, kernel.layout_row(0, 14), kernel.layout_row(0, 36), kernel.layout_row(0, 13)) == (
        0,
        1,
        2,
        -1,
    )
    assert (DEFAULT_V2.width, DEFAULT_TGW.width) == (14, 36)
    assert list(rows[columns : 2 * columns]) == list(kernel_layouts.layout_rows(DEFAULT_V2)[0][:columns])
    assert list(rows[2 * columns :]) == list(kernel_layouts.layout_rows(DEFAULT_TGW)[0][:columns])
    assert "action" not in DEFAULT_TGW.index and "interface-id" not in DEFAULT_TGW.index


def test_a_repeated_field_name_maps_to_its_first_column() -> None:
    layout = RecordLayout.of(["srcaddr", "srcaddr", "log_status"])
    assert layout.index == {"srcaddr": 0, "log-status": 2}  # the second srcaddr is an opaque extra column


def test_tokens_split_on_runs_of_spaces_tabs_and_crs() -> None:
    assert split_tokens(b" a  b\tc\r") == [b"a", b"b", b"c"]
    assert split_tokens(b"a\x0bb") == [b"a\x0bb"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_digest_does_not_depend_on_the_hash_seeds(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    objects: list[FlowLogObject | bytes] = [
        gzip.compress(text(*many_records(800))),
        corpus("flowlogs-reader/flows.parquet"),
        (DATA / "go-fixtures" / "bidirectional-case.log").read_bytes(),
    ]
    reference = run(*objects)
    monkeypatch.setattr(engine, "new_seeds", lambda: (seed, seed * 7919))
    assert run(*objects, block_bytes=2048) == reference


@pytest.mark.parametrize(("workers", "read_ahead"), [(1, 0), (1, 3), (3, 2)])
def test_an_error_in_the_scan_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch, workers: int, read_ahead: int
) -> None:
    def broken(self: tally.Tally, *args: Any) -> tuple[int, int]:
        raise MemoryError("no room")

    monkeypatch.setattr(tally.Tally, "scan", broken)
    with pytest.raises(MemoryError, match="no room"):
        run(*[text(*many_records(300))] * 4, block_bytes=1024, workers=workers, read_ahead=read_ahead)


def test_odd_lines_among_clean_ones_are_each_classified_exactly() -> None:
    odd = {
        "header mid-file": (HEADER, {}),
        "short line": (v2().rsplit(" ", 1)[0], {"field_count": 1}),
        "double space": (v2().replace(" 1000 ", "  "), {"field_count": 1}),
        "empty number": (v2(bytes="-").replace(" - ", "  "), {"field_count": 1}),
        "tab": (v2(src="10.9.9.9").replace(" ", "\t", 1), {}),
        "blank line": ("", {}),
        "lone CR": (v2(src="10.9.9.8") + "\rx", {"field_count": 1}),
        "bad number": (v2(packets="NaN"), {"bad_number": 1}),
        "long line": (v2() + " extra", {"field_count": 1}),
        "not UTF-8": (v2(eni="eni-\udcff"), {}),
    }
    clean = many_records(50)
    reference = run(text(*clean))
    for name, (line, skips) in odd.items():
        _, figures = run(text(*clean[:25], line, *clean[25:]))
        assert {**skipped(reference[1]), **skips} == {**skipped(figures), **skips}, name
        assert sum(skipped(figures).values()) == sum(skipped(reference[1]).values()) + sum(skips.values()), (
            name
        )
        if not skips and line and name != "header mid-file":
            assert figures.in_window == reference[1].in_window + 1, name


def test_a_layout_change_inside_a_big_object_is_found_across_chunks() -> None:
    custom = "srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    rows = [v2(sport=str(40000 + n)) for n in range(400)]
    rows += [custom] + [
        f"10.1.1.{n % 7} 10.2.2.2 {50000 + n} 443 6 1 10 1000 1100 ACCEPT OK" for n in range(400)
    ]
    digest, figures = run(text(*rows), block_bytes=1024)
    assert (figures.records, figures.in_window, figures.groups) == (800, 800, 8)
    assert digest.splitlines()[0] == "2 - - 10.1.1.0 10.2.2.2 0 443 6 58 580 1000 1100 ACCEPT OK"


def test_a_byte_order_mark_opening_a_file_is_dropped_and_kept_anywhere_else() -> None:
    plain = text(v2())
    assert run(b"\xef\xbb\xbf" + plain)[0] == run(plain)[0]
    assert run(gzip.compress(b"\xef\xbb\xbf" + plain), block_bytes=2)[0] == run(plain)[0]
    _, figures = run(plain + text(v2(packets="\ufeff10"), header=None))
    assert (figures.in_window, skipped(figures)) == (1, {"bad_number": 1})


def test_a_header_wider_than_the_tokens_a_line_keeps_is_still_a_header() -> None:
    names = ["x"] * 5000
    names[4800:4803] = ["srcaddr", "dstaddr", "log-status"]
    values = ["1"] * 5000
    values[4800:4803] = ["10.0.0.1", "10.0.0.2", "OK"]
    digest, figures = run(text(" ".join(values), header=" ".join(names)), block_bytes=4096)
    assert (figures.records, figures.in_window) == (1, 1)
    assert digest == "2 - - 10.0.0.1 10.0.0.2 - - - - - - - - OK\n"


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("shard_from", [0, 1 << 62])
def test_of_several_unreadable_objects_the_first_is_named_whatever_the_workers(
    workers: int, shard_from: int
) -> None:
    objects = [text(*many_records(2000)), b"\x1f\x8b broken", b"PAR1 broken", text(v2())]
    for _ in range(5):
        with pytest.raises(FlowLogReadError) as raised:
            run(*objects, workers=workers, block_bytes=1024, shard_from=shard_from)
        assert raised.value.key == "object-1"


def test_keys_whose_bytes_could_pass_for_a_length_tag_stay_apart() -> None:
    # the last word of a text used to carry its length; a full word can look like one
    # "a b c ddddddddd\x08" is two full words; "a b c ddddddddd" one and a tail the next text continued
    tagged = v2(account="a", eni="b", src="c", dst="ddddddddd\x08", action="ACCEPT")
    shifted = v2(
        account="a", eni="b", src="c", dst="ddddddddd", action="\x00\x00\x00\x00\x00\x00\x00\x01ACCEPT"
    )
    for seed in range(5):
        digest = lines(text(tagged, shifted), block_bytes=64 + seed)
        assert len(digest) == 2


@pytest.mark.parametrize("workers", [1, 3])
def test_an_interrupt_stops_every_worker_and_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    scanned = []
    original = tally.Tally.scan

    def interrupted(self: tally.Tally, *args: Any) -> tuple[int, int]:
        if threading.current_thread() is threading.main_thread():
            scanned.append(True)
            if len(scanned) == 3:  # as a signal would, in the calling thread
                raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(tally.Tally, "scan", interrupted)
    pulled = []

    def objects() -> Iterator[FlowLogObject]:
        for number in range(200):
            pulled.append(number)
            yield FlowLogObject(f"{number}.log", text(*many_records(50)))

    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        digest_objects(objects(), *EVER, io.BytesIO(), workers=workers, block_bytes=512)
    assert len(pulled) < 200
    assert threading.active_count() == threads
