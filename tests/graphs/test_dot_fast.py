"""The bulk DOT writer (graphs/dot_fast.py) against the reference (graphs/dot.py): the same bytes and figures
for the same digest file, whatever the lines hold and wherever the blocks end."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from graphs import dot_fast
from graphs.dot import DotFigures, dot_text, dot_write
from graphs.dot_fast import dot_write_file
from graphs.flow import _edges
from tests.graphs.test_dot import DIGESTED_INPUT, GO_SPACE, HAPPY_PATH, line, many_lines

# Block sizes: a byte (a block per line, lines carried over many reads), a few lines, the default.
BLOCKS = [1, 300, dot_fast.BLOCK_BYTES]


@pytest.fixture(params=BLOCKS, ids=lambda size: f"blocks-of-{size}")
def block_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(dot_fast, "BLOCK_BYTES", request.param)
    return int(request.param)


def reference(path: Path) -> tuple[bytes, DotFigures]:
    """What the graph job wrote before the bulk writer: `dot_write` over the file's edges."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    figures = dot_write(lambda: _edges(path), text)
    text.flush()
    return buffer.getvalue(), figures


def bulk(path: Path) -> tuple[bytes, DotFigures]:
    buffer = io.BytesIO()
    figures = dot_write_file(path, buffer)
    return buffer.getvalue(), figures


def assert_same(path: Path, content: bytes) -> bytes:
    path.write_bytes(content)
    expected = reference(path)
    assert bulk(path) == expected
    return expected[0]


def text_of(lines: list[str]) -> bytes:
    return "".join(f"{one}\n" for one in lines).encode()


# --- the reference's own cases (tests/graphs/test_dot.py) --------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        DIGESTED_INPUT.splitlines(),
        HAPPY_PATH.splitlines(),
        many_lines(300),
        [line("2001:db8::1", "fe80::1%eth0"), line("fe80::1%eth0", "fe80::1%eth1")],
        [line("1.11.1.1", "11.1.1.1"), line("111.1.1.1", "11.11.1.1"), line("1.11.1.11", "10.0.0.1")],
        [line("1.1", "11"), line("11_2", "1.1")],
        [line("ode", "ODE"), line("o.de", "Ode"), line("n.o.d.e", "10.0.0.1")],
        [line("-", "é"), line("日本", "a-b.c"), line("<x>", 'q"x'), line("a\x1fb", "10.0.0.1")],
        [line(account='12"34\\5'), line(src='10.0.0.1"\\'), line(account="tab\there")],
        [line(action=action) for action in ("REJECT", "reject", "Reject", "ACCEPT", "-", "REJECTED")],
        [line().replace(" OK", f" {space}OK{space}") for space in GO_SPACE.replace("\n", "")],
        [line().replace(" OK", f" OK{separator}") for separator in ("\x1c", "\x1f", "\u200b", "\ufeff")],
        ["", "2", line().replace("2 ", "3 ", 1), line().replace("2 ", "02 ", 1), line() + " extra fields"],
    ],
    ids=[
        "digested", "happy-path", "many", "ipv6", "collisions", "suffix-shaped", "keyword", "quoted-ids",
        "escaped-values", "actions", "go-spaces", "kept-separators", "skipped",
    ],
)  # fmt: skip
def test_the_reference_test_inputs_give_the_same_bytes_and_figures(
    lines: list[str], block_bytes: int, tmp_path: Path
) -> None:
    dot = assert_same(tmp_path / "digest.log", text_of(lines))
    assert dot.decode() == dot_text(lines)


# --- seeded random digests ----------------------------------------------------------------------------------

ADDRESSES = [
    "10.0.0.1", "10.0.0.2", "172.31.16.139", "172.31.16.21", "1.11.1.1", "11.1.1.1", "111.1.1.1",
    "11.11.1.1", "1.1", "11", "11_2", "11_3", "1_1", "n11", "2001:db8::1", "2001:db8:0:0::1",
    "fe80::1%eth0", "fe80::1%eth1", "ode", "ODE", "o.de", "Ode", "node", "-", "a-b.c", "a.-b", "é", "e\u0301",
    "日本", "<x>", 'q"x', "x\\", "1\t1", "1\x1f1", "\x7f", "\u00a0", "n", "\ufffd", "ǅ", "k\u212a",
]  # fmt: skip
VALUES = [
    "0", "443", "6", "17", "123456789012", "eni-abc123de", "1546300860", "-", "", '12"34', "a\\b", "tab\there",
    "\x00", "é", "\x7f", "\x1c", "\u2028", "x\ry", "\\", '"',
]  # fmt: skip
STATUSES = [
    "OK", "OK", "OK", "ok", "Ok", "NODATA", "SKIPDATA", "OK\r", "\u3000OK", "OK\x1f", "\x85ok", "o\u212a",
    "OK\t", "", "OKAY", "\u200bOK",
]  # fmt: skip
VERSIONS = ["2", "2", "2", "2", "3", "02", "2\t", "\ufeff2", ""]
ACTIONS = ["ACCEPT", "REJECT", "reject", "Reject", "-", "REJECT\t", "accept", "ReJeCt"]
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe6\x97", b"\x80abc", b"\xf0\x9f\x98"]


def random_digest(seed: int, count: int = 300) -> bytes:
    """Digest-like lines, most of them ordinary, the others with each oddity the reference handles."""
    rnd = random.Random(seed)
    hosts = [f"10.{rnd.randrange(3)}.{rnd.randrange(4)}.{rnd.randrange(20)}" for _ in range(40)] + ADDRESSES
    lines: list[bytes] = []
    for _ in range(count):
        odd = rnd.random() < 0.3
        fields = [
            rnd.choice(VERSIONS) if odd else "2",
            *(
                rnd.choice(VALUES) if odd and rnd.random() < 0.2 else str(rnd.randrange(10**6))
                for _ in range(2)
            ),
            rnd.choice(hosts),
            rnd.choice(hosts),
            *(
                rnd.choice(VALUES) if odd and rnd.random() < 0.2 else str(rnd.randrange(65536))
                for _ in range(7)
            ),
            rnd.choice(ACTIONS),
            rnd.choice(STATUSES) if odd else "OK",
        ]
        if odd and rnd.random() < 0.3:
            fields = fields[: rnd.randrange(len(fields) + 1)] + ["extra"] * rnd.randrange(3)
        data = " ".join(fields).encode()
        if odd and rnd.random() < 0.2:
            cut = rnd.randrange(len(data) + 1)
            data = data[:cut] + rnd.choice(INVALID_UTF8) + data[cut:]
        lines.append(b"" if rnd.random() < 0.03 else data)
    ending = rnd.choice([b"\n", b"\r\n", b""])  # the last line may have no newline at all
    return b"\n".join(lines) + ending


@pytest.mark.parametrize("seed", range(12))
def test_seeded_random_digests_give_the_same_bytes_and_figures(
    seed: int, block_bytes: int, tmp_path: Path
) -> None:
    dot = assert_same(tmp_path / "digest.log", random_digest(seed))
    assert dot.count(b" -> ") > 100  # most lines are kept: the comparison is not of two empty graphs


def test_random_digests_hold_every_kind_of_line_and_id(tmp_path: Path) -> None:
    # The oddities above do reach the output: quoted ids, suffixed ids, escaped and replaced values.
    dot = b"".join(assert_same(tmp_path / f"{seed}.log", random_digest(seed)) for seed in range(12)).decode()
    for expected in (
        '"nfe801%eth0"',
        '"node"',
        "n11111_2",
        "n11_3",
        "n1_1_2",
        '\\"',
        "\\\\",
        "\ufffd",
        "日本",
    ):
        assert expected in dot


def test_a_block_boundary_in_the_middle_of_a_line_and_of_a_character_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    content = text_of([line("日本", "é"), line(account="ünï"), *many_lines(20)])
    for size in (2, 3, 37, 100, 101):
        monkeypatch.setattr(dot_fast, "BLOCK_BYTES", size)
        assert_same(tmp_path / "digest.log", content)


@pytest.mark.parametrize("at_once", [1, 4])
def test_blocks_worked_on_at_once_are_written_in_line_order(
    at_once: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(dot_fast, "BLOCK_BYTES", 50)
    monkeypatch.setattr(dot_fast, "BLOCKS_AT_ONCE", at_once)
    assert_same(tmp_path / "digest.log", random_digest(99, count=400))


# --- edge cases ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"\n\n\n", b"\r\n", b"2", "\u3000\n".encode()],
    ids=["empty", "newline", "newlines", "crlf", "one-field", "unicode-space"],
)
def test_a_digest_without_lines_gives_the_empty_digraph(
    content: bytes, block_bytes: int, tmp_path: Path
) -> None:
    assert assert_same(tmp_path / "digest.log", content) == b"digraph {\n}"


def test_a_digest_with_no_kept_line_gives_the_empty_digraph(block_bytes: int, tmp_path: Path) -> None:
    skipped = [
        HAPPY_PATH.splitlines()[0],
        "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA",
        line().replace(" OK", " OK\x1f"),
        line().replace("2 ", "3 ", 1),
        line().rsplit(" ", 1)[0],
    ]
    assert assert_same(tmp_path / "digest.log", text_of(skipped)) == b"digraph {\n}"


def test_a_last_line_without_a_newline_is_kept(block_bytes: int, tmp_path: Path) -> None:
    dot = assert_same(tmp_path / "digest.log", text_of([line("10.0.0.1")]) + line("10.0.0.3").encode())
    assert dot.count(b" -> ") == 2


def test_a_window_of_only_ordinary_lines_needs_no_special_id(tmp_path: Path) -> None:
    # The common case: every id computed in bulk; the figures count UTF-8 bytes as the reference does.
    lines = [line(f"10.0.{n % 7}.{n % 13}", f"172.16.{n % 5}.{n % 11}", action="REJECT") for n in range(500)]
    dot = assert_same(tmp_path / "digest.log", text_of(lines))
    _, figures = bulk(tmp_path / "digest.log")
    assert (figures.edges, figures.nodes, figures.bytes) == (500, 7 * 13 + 5 * 11, len(dot))
