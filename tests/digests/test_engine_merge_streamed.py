"""The merge reads its pieces a block at a time: wherever a block ends, the bytes are the same."""

from __future__ import annotations

import io
import itertools
import random
import tracemalloc
from pathlib import Path

import pytest
from isal import igzip

from digests.engine import merge
from digests.engine.digest import digest_objects
from digests.engine.merge import digests_merge
from digests.engine.objects import DigestMergeError
from tests.digests.engines.test_duckdb_differential import BASE, random_object
from tests.digests.test_engine_merge import reference_merge

Lines = list[list[bytes]]


def written(folder: Path, pieces: list[Lines], *, gzip: bool = False) -> list[Path]:
    paths = []
    for number, lines in enumerate(pieces):
        text = b"".join(b" ".join(fields) + b"\n" for fields in lines)
        path = folder / f"piece-{number}.log"
        path.write_bytes(igzip.compress(text) if gzip else text)
        paths.append(path)
    return paths


def merged(paths: list[Path], block: int) -> bytes:
    out = io.BytesIO()
    lines = digests_merge(paths, out, block=block)
    assert lines == out.getvalue().count(b"\n")
    return out.getvalue()


def line(
    head: bytes, packets: bytes = b"1", tail: bytes = b"ACCEPT OK", bounds: bytes = b"100 900"
) -> list[bytes]:
    """A digest line's fields: `head` is its interface, the rest of its head always the same."""
    return b" ".join([b"2 1", head, b"10.0.0.1 10.0.0.2 0 443 6", packets, b"40", bounds, tail]).split(b" ")


def sorted_piece(lines: Lines) -> Lines:
    return [fields.split(b" ") for fields in sorted(b" ".join(fields) for fields in lines)]


A_FEW_PIECES = [
    sorted_piece([line(b"eni-1"), line(b"eni-2", tail=b"REJECT OK"), line(b"eni-3")]),
    sorted_piece([line(b"eni-1", b"5"), line(b"eni-1", b"-", tail=b"REJECT OK"), line(b"eni-4")]),
    sorted_piece([line(b"eni-2", b"7", tail=b"REJECT OK"), line(b"eni-3", b"-", bounds=b"7 1000")]),
]


@pytest.mark.parametrize("block", range(1, 140))
def test_a_block_ending_anywhere_in_a_line_gives_the_same_bytes(block: int, tmp_path: Path) -> None:
    # the pieces' lines are about 60 bytes: these blocks end at every place of a line, and of two
    assert merged(written(tmp_path, A_FEW_PIECES, gzip=block % 2 == 0), block) == reference_merge(
        A_FEW_PIECES
    )


def test_lines_longer_than_a_block_and_than_the_group_buffer_are_merged(tmp_path: Path) -> None:
    long_head, long_tail = b"eni-" + b"x" * 20_000, b"ACCEPT " + b"K" * 9_000
    pieces = [
        sorted_piece([line(long_head), line(long_head, tail=long_tail), line(b"eni-1")]),
        sorted_piece([line(long_head, b"3"), line(b"eni-" + b"y" * 70_000)]),
    ]
    assert merged(written(tmp_path, pieces), 64) == reference_merge(pieces)


def test_pieces_of_one_line_and_empty_pieces_merge_among_others(tmp_path: Path) -> None:
    pieces = [[], [line(b"eni-2")], [], *A_FEW_PIECES, [line(b"eni-1", b"9")], []]
    for block, gzip in itertools.product((1, 50, 4096), (False, True)):
        assert merged(written(tmp_path, pieces, gzip=gzip), block) == reference_merge(pieces)


def test_hundreds_of_pieces_merge_a_few_bytes_of_each_at_a_time(tmp_path: Path) -> None:
    rng = random.Random(7)
    heads = [f"eni-{n}".encode() for n in range(40)]
    pieces = [
        sorted_piece(
            [line(head, str(rng.randint(1, 9)).encode()) for head in rng.sample(heads, rng.randint(0, 6))]
        )
        for _ in range(300)
    ]
    assert merged(written(tmp_path, pieces, gzip=True), 37) == reference_merge(pieces)


@pytest.mark.parametrize("seed", range(12))
def test_random_pieces_read_in_random_blocks_merge_as_the_definition_says(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    pieces = []
    for _ in range(rng.randint(1, 12)):
        bounds = rng.choice([b"- -", b"100 900", b"7 1000", b"- 1000"])
        lines: dict[bytes, list[bytes]] = {}
        for _ in range(rng.randint(0, 80)):
            head = rng.choice([b"eni-1", b"eni-10", b"eni-1\x02", b"eni-" + b"z" * rng.randint(0, 500)])
            tail = rng.choice([b"ACCEPT OK", b"REJECT OK", b"- NODATA", b"- " + b"N" * rng.randint(1, 300)])
            fields = line(head, rng.choice([b"-", b"3", b"-12"]), tail, bounds)
            lines[b" ".join(fields[:8] + fields[12:])] = fields  # one line a group in a piece
        pieces.append(sorted_piece(list(lines.values())))
    block = rng.choice([1, rng.randint(2, 200), rng.randint(200, 5_000)])
    assert merged(written(tmp_path, pieces, gzip=seed % 2 == 0), block) == reference_merge(pieces)


@pytest.mark.parametrize("seed", range(6))
def test_random_objects_cut_into_hours_and_read_in_small_blocks_merge_to_the_whole_windows_bytes(
    seed: int, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    objects = [random_object(rng, number) for number in range(rng.randint(1, 4))]
    start, stop = BASE + rng.randint(900, 1_500), BASE + rng.randint(2_500, 3_100)
    cuts = [start, *sorted(rng.sample(range(start + 1, stop), rng.randint(1, 5))), stop]
    paths = []
    for number, (begin, end) in enumerate(itertools.pairwise(cuts)):
        paths.append(tmp_path / f"piece-{number}.log.gz")
        with igzip.open(paths[-1], "wb") as out:
            digest_objects(objects, begin, end, out)
    whole = io.BytesIO()
    digest_objects(objects, start, stop, whole)
    assert merged(paths, rng.randint(1, 300)) == whole.getvalue()


def test_memory_is_a_block_a_piece_not_the_pieces_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merge, "WRITE_BYTES", 64 << 10)
    heads = [f"eni-{n:07d}".encode() for n in range(240_000)]  # about 8 MB of text a piece
    paths = written(tmp_path, [[line(head) for head in heads[part::2]] for part in range(2)], gzip=True)
    text = sum(len(igzip.decompress(path.read_bytes())) for path in paths)
    tracemalloc.start()  # numpy's arrays are traced too
    try:
        with (tmp_path / "merged.log").open("wb") as out:
            digests_merge(paths, out, block=64 << 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < text / 4  # a piece holds its block and its gzip reader's input buffer (512 kB)
    assert (tmp_path / "merged.log").stat().st_size == text


def test_a_truncated_or_corrupt_gzip_piece_is_named(tmp_path: Path) -> None:
    good, truncated, corrupt = written(
        tmp_path, [A_FEW_PIECES[0], A_FEW_PIECES[1], A_FEW_PIECES[2]], gzip=True
    )
    truncated.write_bytes(truncated.read_bytes()[:-12])
    content = corrupt.read_bytes()
    corrupt.write_bytes(content[:-8] + bytes(8))  # its CRC and size
    for broken in (truncated, corrupt):
        with pytest.raises(DigestMergeError, match=rf"{broken.name}: not a digest"):
            merged([good, broken], 16)


@pytest.mark.parametrize("block", [1, 30, 4096])
def test_a_piece_whose_last_line_has_no_end_is_named(block: int, tmp_path: Path) -> None:
    good, cut = written(tmp_path, A_FEW_PIECES[:2])
    cut.write_bytes(cut.read_bytes()[:-1])
    with pytest.raises(DigestMergeError, match=r"piece-1\.log: not a digest \(its last line has no end\)"):
        merged([good, cut], block)


@pytest.mark.parametrize("block", [1, 30, 4096])
def test_a_bad_line_after_a_refill_names_its_piece(block: int, tmp_path: Path) -> None:
    pieces = [A_FEW_PIECES[0], [*A_FEW_PIECES[1], [b"2", b"1", b"eni-9", b"broken"]]]
    with pytest.raises(DigestMergeError, match=r"piece-1\.log: not a digest line: '2 1 eni-9 broken'"):
        merged(written(tmp_path, pieces), block)
