"""The graph job's count of a digest's lines (graphs.flow.lines_count): what iterating over the file counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs.flow import lines_count


@pytest.mark.parametrize(
    "text",
    [b"", b"\n", b"a", b"a\n", b"a\nb", b"a\nb\n", b"\n\n\n", b"a\r\nb\r\n", b"x" * 10 + b"\n" + b"y" * 7],
)
@pytest.mark.parametrize("block", [1, 3, 1 << 20])
def test_lines_are_counted_as_iterating_over_the_file_counts_them(
    tmp_path: Path, text: bytes, block: int
) -> None:
    path = tmp_path / "digest.log"
    path.write_bytes(text)
    with path.open("rb") as lines:
        expected = sum(1 for _ in lines)
    assert lines_count(path, block) == expected
