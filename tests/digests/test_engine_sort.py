"""The line sort of the digest engine (kernel.sort_lines): bytewise order, eight bytes a step."""

from __future__ import annotations

import random

import numpy as np
import pytest

from digests.engine import kernel


def sorted_by_kernel(lines: list[bytes], depth: int = 0) -> list[bytes]:
    data = np.frombuffer(b"".join(lines), np.uint8)  # the last line ends where the buffer ends
    starts = np.cumsum([0, *map(len, lines)]).astype(np.int64)
    order = np.arange(len(lines))
    kernel.sort_lines(data, starts, order, depth)
    return [lines[line] for line in order]


def distinct_lines(rng: random.Random, count: int, alphabet: bytes, prefix: bytes = b"") -> list[bytes]:
    lines = {prefix + bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(count)}
    return rng.sample(sorted(lines), len(lines))


@pytest.mark.parametrize("alphabet", [b"ab", b"\x00\x01 a\xff", b"0123456789 -."])
def test_lines_come_out_in_the_order_python_sorts_bytes(alphabet: bytes) -> None:
    lines = distinct_lines(random.Random(len(alphabet)), 5000, alphabet)
    assert sorted_by_kernel(lines) == sorted(lines)


def test_a_line_sorts_before_the_lines_it_is_a_prefix_of_even_across_word_ends() -> None:
    stem = b"2 123456789012 eni-0a"  # 21 bytes: the runs end inside and at the end of an 8-byte word
    lines = [stem[:cut] for cut in range(len(stem) + 1)] + [stem + b"\x00" * n for n in range(1, 12)]
    lines += [stem[:cut] + b"\x00" for cut in range(len(stem))] + [b"\x00" * n for n in range(1, 20)]
    lines = list(dict.fromkeys(lines))
    shuffled = random.Random(3).sample(lines, len(lines))
    assert sorted_by_kernel(shuffled) == sorted(lines)


def test_lines_that_share_a_long_prefix_are_ordered_by_what_follows_it() -> None:
    prefix = b"2 123456789012 eni-0123456789abcdef0 10.0.0.1 "
    lines = distinct_lines(random.Random(7), 3000, b"0123456789. ", prefix)
    assert sorted_by_kernel(lines, depth=len(prefix)) == sorted(lines)
    assert sorted_by_kernel(lines) == sorted(lines)


def test_one_line_and_no_line_sort_to_themselves() -> None:
    assert sorted_by_kernel([b"x"]) == [b"x"]
    assert sorted_by_kernel([]) == []
