"""The Go-compatible DOT converter (graphs/dot.py): upstream fixtures, Go flaws fixed, diffd's contract."""

from __future__ import annotations

import io
import json
import random
import subprocess
from pathlib import Path

import pytest

from digests.engine.digest import digest_objects
from digests.engine.objects import FlowLogObject
from graphs import dot
from graphs.dot import GO_SPACE, Edge, dot_text, dot_write, edges_read, go_trim_space, node_ids

GO_FIXTURES = Path(__file__).parents[1] / "data" / "go-fixtures"

DIGESTED_INPUT = """\
2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 20 1000 1418530010 1818530070 REJECT OK
2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 40 2000 1418530010 1818530070 ACCEPT OK
2 123456789010 eni-abc123de 172.31.16.21 172.31.16.139 80 0 6 40 2000 1418530010 1818530070 ACCEPT OK
"""
DIGESTED_EDGES = [
    'n1723116139 -> n172311621 [govpc_accountID="123456789010" govpc_eniID="eni-abc123de" govpc_srcPort="0"'
    ' govpc_dstPort="80" govpc_protocol="6" govpc_packets="20" govpc_bytes="1000" govpc_start="1418530010"'
    ' govpc_end="1818530070" color=red label="accountID=123456789010\\neniID=eni-abc123de\\nsrcPort=0'
    '\\ndstPort=80\\nprotocol=6\\npackets=20\\nbytes=1000\\nstart=1418530010\\nend=1818530070"]',
    'n1723116139 -> n172311621 [govpc_accountID="123456789010" govpc_eniID="eni-abc123de" govpc_srcPort="0"'
    ' govpc_dstPort="80" govpc_protocol="6" govpc_packets="40" govpc_bytes="2000" govpc_start="1418530010"'
    ' govpc_end="1818530070" color=green label="accountID=123456789010\\neniID=eni-abc123de\\nsrcPort=0'
    '\\ndstPort=80\\nprotocol=6\\npackets=40\\nbytes=2000\\nstart=1418530010\\nend=1818530070"]',
    'n172311621 -> n1723116139 [govpc_accountID="123456789010" govpc_eniID="eni-abc123de" govpc_srcPort="80"'
    ' govpc_dstPort="0" govpc_protocol="6" govpc_packets="40" govpc_bytes="2000" govpc_start="1418530010"'
    ' govpc_end="1818530070" color=green label="accountID=123456789010\\neniID=eni-abc123de\\nsrcPort=80'
    '\\ndstPort=0\\nprotocol=6\\npackets=40\\nbytes=2000\\nstart=1418530010\\nend=1818530070"]',
]
GO_NODES = ['n1723116139 [label="172.31.16.139"]', 'n172311621 [label="172.31.16.21"]']

HAPPY_PATH = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    " log-status\n"
    "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20641 80 6 20 1000 1418530010 1418530070 ACCEPT OK\n"
    "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20541 80 6 20 1000 1518530010 1518530070 ACCEPT OK\n"
    "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA\n"
    "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20441 80 6 20 1000 1618530010 1618530070 ACCEPT OK\n"
    "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20341 80 6 20 1000 1718530010 1718530070 REJECT OK\n"
    "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20241 80 6 20 1000 1818530010 1818530070 ACCEPT OK"
)
DIFFD_KEYS = ("govpc_accountID", "govpc_eniID", "govpc_srcPort", "govpc_dstPort", "govpc_protocol", "color")


def golden(edges: list[str], nodes: list[str]) -> str:
    return "digraph {\n" + "".join(f"\t{statement}\n" for statement in [*edges, *nodes]) + "}"


def happy_edge(srcport: str, start: str, end: str, color: str) -> str:
    return (
        f'n1723116139 -> n172311621 [govpc_accountID="123456789010" govpc_eniID="eni-abc123de"'
        f' govpc_srcPort="{srcport}" govpc_dstPort="80" govpc_protocol="6" govpc_packets="20"'
        f' govpc_bytes="1000" govpc_start="{start}" govpc_end="{end}" color={color}'
        f' label="accountID=123456789010\\neniID=eni-abc123de\\nsrcPort={srcport}\\ndstPort=80\\nprotocol=6'
        f'\\npackets=20\\nbytes=1000\\nstart={start}\\nend={end}"]'
    )


def line(
    src: str = "10.0.0.1", dst: str = "10.0.0.2", *, account: str = "123456789010", action: str = "ACCEPT"
) -> str:
    return f"2 {account} eni-1 {src} {dst} 0 443 6 10 840 1418530010 1418530070 {action} OK"


def edge_lines(dot: str) -> list[str]:
    return [statement.strip() for statement in dot.splitlines() if "->" in statement]


def node_lines(dot: str) -> list[str]:
    return [statement.strip() for statement in dot.splitlines()[1:-1] if "->" not in statement]


# --- upstream fixtures ---------------------------------------------------------------------------------


def test_digested_input_gives_the_go_fixture_byte_for_byte() -> None:
    assert dot_text(DIGESTED_INPUT) == golden(DIGESTED_EDGES, GO_NODES)


def test_undigested_input_gives_one_edge_per_ok_line_in_input_order() -> None:
    edges = [
        happy_edge("20641", "1418530010", "1418530070", "green"),
        happy_edge("20541", "1518530010", "1518530070", "green"),
        happy_edge("20441", "1618530010", "1618530070", "green"),
        happy_edge("20341", "1718530010", "1718530070", "red"),
        happy_edge("20241", "1818530010", "1818530070", "green"),
    ]
    assert dot_text(HAPPY_PATH) == golden(edges, GO_NODES)


def test_the_upstream_example_edge_line_is_written_verbatim() -> None:
    expected = (
        'n1723116139 -> n172311621 [govpc_accountID="123456789010" govpc_eniID="eni-abc123de"'
        ' govpc_srcPort="20641" govpc_dstPort="80" govpc_protocol="6" govpc_packets="20" govpc_bytes="1000"'
        ' govpc_start="1418530010" govpc_end="1418530070" color=green label="accountID=123456789010'
        "\\neniID=eni-abc123de\\nsrcPort=20641\\ndstPort=80\\nprotocol=6\\npackets=20\\nbytes=1000"
        '\\nstart=1418530010\\nend=1418530070"]'
    )
    assert edge_lines(dot_text(HAPPY_PATH))[0] == expected


def test_no_data_gives_an_empty_digraph_without_a_trailing_newline() -> None:
    assert dot_text("") == "digraph {\n}"
    assert dot_text([]) == "digraph {\n}"


def test_digesting_the_bidirectional_case_then_converting_gives_the_digested_fixture() -> None:
    digest = io.BytesIO()
    log = FlowLogObject("bidirectional-case.log", (GO_FIXTURES / "bidirectional-case.log").read_bytes())
    digest_objects([log], 0, 2**40, digest)
    dot = dot_text(digest.getvalue().decode())
    assert sorted(edge_lines(dot)) == sorted(DIGESTED_EDGES)
    assert node_lines(dot) == GO_NODES


# --- line handling ---------------------------------------------------------------------------------------


def test_lines_with_fewer_than_14_fields_are_skipped_instead_of_crashing() -> None:
    short = [
        "",
        "\n",
        "2",
        "2 123456789010 eni-1 10.0.0.1 10.0.0.2 0 443 6 10 840 1418530010 1418530070 ACCEPT",
    ]
    assert dot_text([*short, line(), *short]) == dot_text([line()])


def test_header_nodata_skipdata_and_other_versions_are_skipped() -> None:
    skipped = [
        HAPPY_PATH.splitlines()[0],
        "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA",
        "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - SKIPDATA",
        line().replace("2 ", "3 ", 1),
        line().replace("2 ", "02 ", 1),
    ]
    assert dot_text(skipped) == "digraph {\n}"


def test_log_status_ok_is_matched_trimmed_and_in_any_case() -> None:
    lines = [line("10.0.0.1").replace(" OK", " ok\r\n"), line("10.0.0.3").replace(" OK", " Ok")]
    assert len(edge_lines(dot_text(lines))) == 2


@pytest.mark.parametrize("space", ["\t", "\v", "\x85", "\xa0", "\u2000", "\u200a", "\u2028", "\u3000"])
def test_log_status_is_trimmed_of_what_gos_trim_space_trims(space: str) -> None:
    assert len(edge_lines(dot_text([line().replace(" OK", f" {space}OK{space}")]))) == 1


@pytest.mark.parametrize("separator", ["\x1c", "\x1d", "\x1e", "\x1f", "\u200b", "\ufeff"])
def test_log_status_keeps_what_gos_trim_space_keeps(separator: str) -> None:
    assert dot_text([line().replace(" OK", f" OK{separator}")]) == "digraph {\n}"


def test_go_trim_space_trims_unicode_white_space_only() -> None:
    python_spaces = {chr(code) for code in range(0x110000) if chr(code).isspace()}
    assert set(GO_SPACE) == python_spaces - {"\x1c", "\x1d", "\x1e", "\x1f"}
    assert go_trim_space("\xa0 OK\x1f\u3000") == "OK\x1f"


def test_a_custom_format_without_log_status_gives_edges_not_an_empty_graph() -> None:
    header = "srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    flow_log = f"{header}\n10.0.0.1 10.0.0.2 40000 443 6 10 840 1418530010 1418530070 ACCEPT\n"
    out = io.BytesIO()
    digest_objects([FlowLogObject("custom.log", flow_log.encode())], 0, 2**40, out)
    assert edge_lines(dot_text(out.getvalue().decode().splitlines())) == [
        'n10001 -> n10002 [govpc_accountID="-" govpc_eniID="-" govpc_srcPort="0" govpc_dstPort="443"'
        ' govpc_protocol="6" govpc_packets="10" govpc_bytes="840" govpc_start="1418530010"'
        ' govpc_end="1418530070" color=green label="accountID=-\\neniID=-\\nsrcPort=0\\ndstPort=443'
        '\\nprotocol=6\\npackets=10\\nbytes=840\\nstart=1418530010\\nend=1418530070"]'
    ]


def test_fields_past_the_fourteenth_are_ignored() -> None:
    assert dot_text([line() + " extra fields\n"]) == dot_text([line()])


def test_a_whole_text_and_its_lines_give_the_same_edges() -> None:
    assert list(edges_read(DIGESTED_INPUT)) == list(edges_read(DIGESTED_INPUT.splitlines(keepends=True)))


def test_edges_read_keeps_the_raw_fields_of_the_line() -> None:
    [edge] = edges_read([DIGESTED_INPUT.splitlines()[0] + "\n"])
    assert edge == Edge(
        "123456789010", "eni-abc123de", "172.31.16.139", "172.31.16.21", "0", "80", "6",
        "20", "1000", "1418530010", "1818530070", "REJECT",
    )  # fmt: skip
    assert edge.rejected


@pytest.mark.parametrize("action", ["REJECT", "reject", "Reject"])
def test_reject_in_any_case_is_drawn_red(action: str) -> None:
    assert " color=red label=" in dot_text([line(action=action)])


@pytest.mark.parametrize("action", ["ACCEPT", "accept", "-", "REJECTED"])
def test_anything_but_reject_is_drawn_green(action: str) -> None:
    assert " color=green label=" in dot_text([line(action=action)])


# --- escaping --------------------------------------------------------------------------------------------


def test_quotes_and_backslashes_in_values_are_escaped() -> None:
    [statement] = edge_lines(dot_text([line(account='12"34\\5')]))
    assert 'govpc_accountID="12\\"34\\\\5"' in statement
    assert 'label="accountID=12\\"34\\\\5\\neniID=eni-1' in statement


def test_quotes_and_backslashes_in_addresses_are_escaped_in_node_labels() -> None:
    dot = dot_text([line(src='10.0.0.1"\\')])
    assert 'n10001__ [label="10.0.0.1\\"\\\\"]' in node_lines(dot)


def test_whitespace_and_control_characters_in_values_become_underscores() -> None:
    [edge] = edges_read([line()])
    hostile = Edge(*(["a\tb\x0bc\x00d"] * 12))
    buffer = io.StringIO()
    dot_write(lambda: [hostile, edge], buffer)
    assert 'govpc_accountID="a_b_c_d"' in buffer.getvalue()
    assert "\t" not in buffer.getvalue().replace("\n\t", "\n")


def test_graphviz_parses_escaped_values_even_with_a_trailing_backslash() -> None:
    dot = dot_text([line(src='1.2.3.4"', dst="5.6.7.8\\", account='a"b\\c')])
    canon = subprocess.run(
        ["dot", "-Tcanon"], input=dot.encode(), capture_output=True, check=True
    ).stdout.decode()
    assert 'govpc_accountID="a\\"b\\\\c"' in canon
    assert 'n1234_\t[label="1.2.3.4\\""];' in canon
    assert 'n5678_\t[label="5.6.7.8\\\\"];' in canon


# --- node ids --------------------------------------------------------------------------------------------


def test_unique_node_ids_keep_the_go_form() -> None:
    assert node_ids(["172.31.16.139", "172.31.16.21", "10.0.0.1"]) == {
        "172.31.16.139": "n1723116139",
        "172.31.16.21": "n172311621",
        "10.0.0.1": "n10001",
    }


def test_ipv6_ids_drop_the_colons_and_labels_keep_the_address() -> None:
    dot = dot_text([line("2001:db8::1", "fe80::1%eth0")])
    assert edge_lines(dot)[0].startswith('n2001db81 -> "nfe801%eth0" [')
    assert node_lines(dot) == ['"nfe801%eth0" [label="fe80::1%eth0"]', 'n2001db81 [label="2001:db8::1"]']


def test_ids_without_a_collision_keep_the_go_text_quoted_where_dot_needs_quotes() -> None:
    assert node_ids(["-", "fe80::1%eth0", "é", "日本", "10.0.0.1", "a-b.c"]) == {
        "-": '"n-"',
        "fe80::1%eth0": '"nfe801%eth0"',
        "é": "né",
        "日本": "n日本",
        "10.0.0.1": "n10001",
        "a-b.c": '"na-bc"',
    }


@pytest.mark.parametrize("order", [("1.11.1.1", "11.1.1.1"), ("11.1.1.1", "1.11.1.1")])
def test_colliding_ids_leave_the_plain_id_to_the_smallest_address_whatever_the_edge_order(
    order: tuple[str, str],
) -> None:
    dot = dot_text([line(order[0], order[1])])
    assert node_lines(dot) == ['n11111 [label="1.11.1.1"]', 'n11111_2 [label="11.1.1.1"]']
    expected = "n11111 -> n11111_2" if order[0] == "1.11.1.1" else "n11111_2 -> n11111"
    assert edge_lines(dot)[0].startswith(expected + " [")


def test_three_colliding_addresses_get_increasing_suffixes() -> None:
    assert node_ids(["111.1.1.1", "11.11.1.1", "1.11.1.11"]) == {
        "1.11.1.11": "n111111",
        "11.11.1.1": "n111111_2",
        "111.1.1.1": "n111111_3",
    }


def test_a_suffixed_id_never_takes_the_plain_id_of_another_address() -> None:
    ids = node_ids(["1.1", "11", "11_2"])
    assert ids == {"1.1": "n11", "11": "n11_3", "11_2": "n11_2"}


def test_an_address_that_would_spell_the_node_keyword_is_quoted() -> None:
    assert node_ids(["ode", "ODE", "o.de"]) == {"ODE": '"nODE"', "o.de": '"node"', "ode": "node_2"}


def test_graphviz_reads_every_id_as_its_own_node_with_its_label() -> None:
    addresses = [
        "10.0.0.1",
        "-",
        "fe80::1%eth0",
        "é",
        "日本",
        "ode",
        "<x>",
        "a\x1fb",
        'q"x',
        "1.11.1.1",
        "11.1.1.1",
    ]
    dot = dot_text([line(src, "10.0.0.1") for src in addresses])
    drawn = json.loads(
        subprocess.run(["dot", "-Tjson"], input=dot.encode(), capture_output=True, check=True).stdout
    )
    labels = sorted(node["label"].replace('\\"', '"') for node in drawn["objects"])
    assert labels == sorted(address.replace("\x1f", "_") for address in addresses)
    assert len(drawn["edges"]) == len(addresses)


# --- determinism, streaming, figures ----------------------------------------------------------------------


def many_lines(count: int = 60) -> list[str]:
    rnd = random.Random(7)
    hosts = [f"10.0.{rnd.randrange(3)}.{rnd.randrange(12)}" for _ in range(30)]
    return [
        line(rnd.choice(hosts), rnd.choice(hosts), action=rnd.choice(["ACCEPT", "REJECT"]))
        for _ in range(count)
    ]


def test_the_same_input_gives_the_same_bytes() -> None:
    assert dot_text(many_lines()) == dot_text(many_lines())


def test_node_statements_are_sorted_and_independent_of_edge_order() -> None:
    lines = many_lines()
    shuffled = random.Random(3).sample(lines, len(lines))
    nodes = node_lines(dot_text(lines))
    assert nodes == sorted(nodes)
    assert node_lines(dot_text(shuffled)) == nodes
    assert sorted(edge_lines(dot_text(shuffled))) == sorted(edge_lines(dot_text(lines)))


def test_edges_keep_the_input_order() -> None:
    lines = many_lines()
    expected = [edge_lines(dot_text([one]))[0] for one in lines]
    assert edge_lines(dot_text(lines)) == expected


def test_every_edge_line_satisfies_the_diffd_contract() -> None:
    hostile = [line(account="a b"), line(account='q"uote'), line(src="1.1.1.1\\"), line(account="tab\there")]
    dot = dot_text(HAPPY_PATH.splitlines() + DIGESTED_INPUT.splitlines() + many_lines() + hostile)
    for statement in edge_lines(dot):
        src, arrow, dst, *attributes = statement.split(" ")
        assert arrow == "->"
        assert src.startswith("n") and dst.startswith("n")
        assert statement.endswith('"]')
        assert attributes[0].startswith("[govpc_accountID=")
        pairs = [attribute.strip("[]").split("=", 1) for attribute in attributes]
        assert all(len(pair) == 2 and pair[1] for pair in pairs)
        assert [key for key, _ in pairs if key in DIFFD_KEYS] == list(DIFFD_KEYS)
        assert pairs[-1][0] == "label"


def test_figures_count_edges_nodes_and_utf8_bytes() -> None:
    edges = list(
        edges_read([line("10.0.0.1", "10.0.0.2"), line("10.0.0.2", "ünï.1"), line("10.0.0.1", "10.0.0.2")])
    )
    buffer = io.StringIO()
    figures = dot_write(lambda: edges, buffer)
    assert (figures.edges, figures.nodes) == (3, 3)
    assert figures.bytes == len(buffer.getvalue().encode("utf-8"))
    assert figures.bytes > len(buffer.getvalue())


class Recorder(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_dot_write_streams_a_bounded_number_of_statements_per_write_over_two_passes() -> None:
    lines = many_lines(2000)
    edges = list(edges_read(lines))
    passes: list[int] = []

    def source() -> list[Edge]:
        passes.append(1)
        return edges

    out = Recorder()
    figures = dot_write(source, out)
    assert len(passes) == 2
    statements = 1 + figures.edges + figures.nodes + 1
    assert len(out.writes) == -(-statements // dot._STATEMENTS_A_WRITE) > 1
    assert all(text.count("\n") <= dot._STATEMENTS_A_WRITE for text in out.writes)
    assert "".join(out.writes) == dot_text(lines)


def test_dot_write_refuses_a_second_pass_with_new_addresses() -> None:
    passes = iter([list(edges_read([line("10.0.0.1")])), list(edges_read([line("10.0.0.9")]))])
    with pytest.raises(ValueError, match="second pass"):
        dot_write(lambda: next(passes), io.StringIO())
