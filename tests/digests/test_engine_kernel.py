"""The compiled scan (digests/engine/kernel/): number grammar, line splitting, where it stops, and its hashes."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import polars as pl
import pytest

from digests.engine import kernel
from digests.engine.figures import DigestFigures
from digests.engine.kernel.compiling import address, copy_words
from digests.engine.kernel_layouts import layout_rows
from digests.engine.layouts import DEFAULT_V2, RecordLayout
from digests.engine.tally import Tally

V2_LINE = b"2 111122223333 eni-1 10.0.0.1 10.0.0.2 40000 443 6 10 1000 1000 1100 ACCEPT OK\n"


def array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.uint8)


def parsed(token: bytes) -> tuple[int, int]:
    return kernel.parse_int(array(token), 0, len(token))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (b"0", (0, 0)),
        (b"080", (0, 80)),
        (b"+5", (0, 5)),
        (b"-5", (0, -5)),
        (b"-", (1, 0)),
        (b"9223372036854775807", (0, 2**63 - 1)),
        (b"-9223372036854775808", (0, -(2**63))),
        (b"000000000000000000000000042", (0, 42)),
        (b"9223372036854775808", (2, 0)),
        (b"-9223372036854775809", (2, 0)),
        (b"99999999999999999999", (2, 0)),
        (b"5.0", (2, 0)),
        (b"1e3", (2, 0)),
        (b"0x10", (2, 0)),
        (b"+", (2, 0)),
        (b"+-5", (2, 0)),
        (b"--", (2, 0)),
        (b"NaN", (2, 0)),
    ],
)
def test_numbers_are_base_10_int64_with_an_optional_sign(token: bytes, expected: tuple[int, int]) -> None:
    assert parsed(token) == expected


def test_the_number_grammar_is_the_one_polars_reads() -> None:
    tokens = [
        "7",
        "+7",
        "-7",
        "007",
        "-0",
        "+0",
        "18446744073709551615",
        "9223372036854775807",
        "12a",
        "a12",
        "+-1",
    ]
    tokens += [str(2**63 - 1 + n) for n in range(-2, 3)] + [str(-(2**63) + n) for n in range(-2, 3)]
    oracle = pl.Series(tokens).cast(pl.Int64, strict=False).to_list()
    for token, value in zip(tokens, oracle, strict=True):
        status, number = parsed(token.encode())
        assert (number if status == 0 else None) == value, token


def test_the_word_parser_agrees_with_the_byte_parser_on_random_tokens_and_places() -> None:
    rng = np.random.default_rng(20261206)
    digits, others = b"0123456789", b"-+ :/a\x00\x7f\xb0\xb9\xff"
    for _ in range(20000):
        length = int(rng.integers(1, 21))
        token = bytearray(rng.choice(np.frombuffer(digits, np.uint8), length).tolist())
        if rng.random() < 0.3:  # one byte that is not a digit, anywhere
            token[int(rng.integers(0, length))] = others[int(rng.integers(0, len(others)))]
        after = bytes(rng.choice(np.frombuffer(digits + b" \n", np.uint8), int(rng.integers(0, 10))).tolist())
        text = bytes(token) + after  # digits after the token are not its own
        expected = parsed(bytes(token))
        assert kernel.parse_number(array(text), 0, length, len(text)) == expected, (text, length)
    for edge in (b"0", b"9", b"99999999", b"100000000", b"9999999999999999", b"1546300800"):
        assert kernel.parse_number(array(edge + b" " * 8), 0, len(edge), len(edge) + 8) == parsed(edge)


@numba.njit
def _copy_words(target: np.ndarray, at: int, source: np.ndarray, s: int, e: int) -> int:
    return copy_words(address(target), at, target.shape[0], address(source), s, e, source.shape[0])


def test_the_word_copy_copies_any_span_and_touches_nothing_past_either_buffer() -> None:
    rng = np.random.default_rng(7)
    for _ in range(3000):
        source_size, target_size = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        backing = rng.integers(0, 256, source_size + 16).astype(np.uint8)
        source = backing[:source_size]  # the bytes past it must not be read into the copy
        s = int(rng.integers(0, source_size))
        e = int(rng.integers(s, source_size + 1))
        room = np.full(target_size + 16, 0xEE, np.uint8)
        target = room[:target_size]
        at = int(rng.integers(0, target_size - (e - s) + 1)) if e - s <= target_size else None
        if at is None:
            continue
        assert _copy_words(target, at, source, s, e) == at + e - s
        assert target[at : at + e - s].tobytes() == source[s:e].tobytes()
        assert (room[target_size:] == 0xEE).all(), "wrote past the target"
        assert (target[:at] == 0xEE).all(), "wrote before the span"


def split(line: bytes, clean: bool) -> tuple[int, bool, list[bytes]]:
    starts, ends = np.zeros(kernel.MAX_TOKENS + 1, np.int64), np.zeros(kernel.MAX_TOKENS + 1, np.int64)
    splitter = kernel.split_clean if clean else kernel.split
    count, _, ok = splitter(array(line), 0, len(line), starts, ends, kernel.MAX_TOKENS)
    return count, ok, [line[starts[t] : ends[t]] for t in range(min(count, kernel.MAX_TOKENS))]


def test_the_fast_split_takes_single_spaces_and_declines_anything_else() -> None:
    assert split(b"a bb ccc\n", clean=True) == (3, True, [b"a", b"bb", b"ccc"])
    assert split(b"abcdefghijklmnop q\n", clean=True) == (2, True, [b"abcdefghijklmnop", b"q"])
    for odd in (b"a  b\n", b" a b\n", b"a b \n", b"\n", b"a b"):
        assert not split(odd, clean=True)[1], odd


def test_the_fast_split_does_not_take_a_byte_one_above_a_space_or_newline_for_one() -> None:
    # `!` is a space with its lowest bit set (0x21), and 0x0b a newline with it: the common zero-byte
    # test marks such a byte when it follows a real one
    assert split(b"a !b !!c\n", clean=True) == (3, True, [b"a", b"!b", b"!!c"])
    assert split(b"ab \x0b!\n\x0bcdefgh", clean=True)[:2] == (2, True)


def test_the_fast_split_agrees_with_splitting_on_single_spaces_for_random_lines() -> None:
    rng = np.random.default_rng(20261206)
    alphabet = np.frombuffer(b" !\x0b\x1f\x21\x7f09az-_.:", np.uint8)
    for _ in range(3000):
        body = bytes(rng.choice(alphabet, int(rng.integers(0, 40))).tolist())
        tail = bytes(rng.choice(alphabet, int(rng.integers(0, 12))).tolist())  # bytes after the newline
        for line in (body + b"\n" + tail, body):
            tokens = body.split(b" ")
            regular = b"\n" in line and b"" not in tokens
            count, ok, found = split(line, clean=True)
            assert ok == regular, line
            if regular:
                assert (count, found) == (len(tokens), tokens), line


def test_the_careful_split_takes_runs_of_spaces_tabs_and_crs() -> None:
    assert split(b" a \t b\r\x0bc \r\n", clean=False) == (3, True, [b"a", b"b", b"\x0bc"])
    assert split(b"\t \r\n", clean=False)[0] == 0
    assert split(b"a \xff\n", clean=False)[1] is False  # not all ASCII


def test_a_line_of_more_tokens_than_it_keeps_is_still_counted() -> None:
    line = b" ".join([b"x"] * (kernel.MAX_TOKENS + 10)) + b"\n"
    assert split(line, clean=False)[0] == kernel.MAX_TOKENS + 10
    assert split(line, clean=True)[1] is False


def scan_text(
    data: bytes, layout: RecordLayout | None = DEFAULT_V2, strict: bool = True
) -> tuple[int, int, Tally]:
    tally = Tally(0, 2**40, (1, 2))
    position, code = tally.scan(
        array(data), 0, len(data), layout, strict, data.isascii() and b"\t" not in data
    )
    return position, code, tally


def test_a_name_like_line_stops_the_scan_where_it_starts() -> None:
    data = V2_LINE + b"srcaddr dstaddr action\n" + V2_LINE
    assert scan_text(data)[:2] == (len(V2_LINE), kernel.HEADER)
    assert scan_text(data, strict=False)[:2] == (len(data), kernel.DONE)


def test_a_non_ascii_line_stops_a_strict_scan_only() -> None:
    data = V2_LINE + V2_LINE.replace(b"eni-1", b"eni-\xc3\xa9")
    position, code, tally = scan_text(data)
    assert (position, code, tally.groups) == (len(V2_LINE), kernel.NON_ASCII, 1)
    assert scan_text(data, strict=False)[2].groups == 2


def test_nothing_of_the_line_a_scan_stops_at_is_counted() -> None:
    _, _, tally = scan_text(V2_LINE * 3 + b"version srcaddr\n" + V2_LINE)
    figures = tally_figures(tally)
    assert (figures.records, figures.in_window) == (3, 3)


def tally_figures(tally: Tally) -> DigestFigures:
    figures = DigestFigures()
    tally.figures(figures)
    return figures


def test_the_same_key_hashes_alike_from_a_span_or_from_scattered_fields() -> None:
    names = (
        "srcaddr version interface-id account-id log-status dstaddr srcport dstport protocol packets bytes"
    )
    scattered = RecordLayout.of([*names.split(), "start", "end", "action"])
    assert layout_rows(scattered)[0][kernel.SPANS] == 0
    assert layout_rows(DEFAULT_V2)[0][kernel.SPANS] == 1
    tally = Tally(0, 2**40, (5, 6))
    lines = [
        (V2_LINE, DEFAULT_V2),
        (b"10.0.0.1 2 eni-1 111122223333 OK 10.0.0.2 40000 443 6 10 1000 1000 1100 ACCEPT\n", scattered),
        (V2_LINE.replace(b" ", b"\t"), DEFAULT_V2),  # the careful split: no span either
    ]
    for line, layout in lines:
        tally.scan(array(line), 0, len(line), layout, strict=False, clean=b"\t" not in line)
    assert tally.groups == 1


def test_a_full_table_makes_the_scan_stop_for_room_and_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    import digests.engine.tally as tally_module

    monkeypatch.setattr(tally_module, "FIRST_SLOTS", 8)
    monkeypatch.setattr(tally_module, "FIRST_ARENA", 16)
    calls = []
    original = kernel.scan

    def counted(*args: Any) -> tuple[int, int]:
        result = original(*args)
        calls.append(result[1])
        return result

    monkeypatch.setattr(kernel, "scan", counted)
    data = b"".join(V2_LINE.replace(b"40000 443", f"{n} 443".encode()) for n in range(1000, 1400))
    _, code, tally = scan_text(data)
    assert code == kernel.DONE
    assert tally.groups == 1  # the ephemeral source ports all become 0
    data = b"".join(V2_LINE.replace(b"10.0.0.1", f"10.0.{n // 256}.{n % 256}".encode()) for n in range(400))
    _, code, tally = scan_text(data)
    assert (code, tally.groups) == (kernel.DONE, 400)
    assert calls.count(kernel.GROW) >= 3
