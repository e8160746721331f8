"""Digests of adjacent pieces of a window, merged, are byte for byte the digest of the whole window."""

from __future__ import annotations

import io
import itertools
import random
import subprocess
import sys
from pathlib import Path

import pytest
from isal import igzip

from digests.engine import merge
from digests.engine.digest import digest_objects
from digests.engine.merge import digests_merge
from digests.engine.objects import DigestMergeError, FlowLogObject
from tests.digests.engines.test_duckdb_differential import BASE, random_object

ROOT = Path(__file__).resolve().parents[2]


def digest(objects: list[FlowLogObject], start: int, stop: int) -> bytes:
    out = io.BytesIO()
    digest_objects(objects, start, stop, out)
    return out.getvalue()


def pieces_merged(
    objects: list[FlowLogObject], cuts: list[int], folder: Path, *, gzip: bool = False
) -> bytes:
    paths = []
    for number, (start, stop) in enumerate(itertools.pairwise(cuts)):
        text = digest(objects, start, stop)
        path = folder / f"piece-{number}.log"
        path.write_bytes(igzip.compress(text) if gzip else text)
        paths.append(path)
    out = io.BytesIO()
    lines = digests_merge(paths, out)
    assert lines == out.getvalue().count(b"\n")
    return out.getvalue()


@pytest.mark.parametrize("seed", range(10))
def test_random_objects_cut_into_pieces_merge_to_the_whole_windows_bytes(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if seed % 3 == 0:  # output written a few bytes at a time, as a large window's is
        monkeypatch.setattr(merge, "WRITE_BYTES", 16)
    rng = random.Random(seed)
    objects = [random_object(rng, number) for number in range(rng.randint(1, 4))]
    start, stop = BASE + rng.randint(900, 1_500), BASE + rng.randint(2_500, 3_100)
    inner = sorted(rng.sample(range(start + 1, stop), rng.randint(1, 5)))
    whole = digest(objects, start, stop)
    assert pieces_merged(objects, [start, *inner, stop], tmp_path, gzip=seed % 2 == 0) == whole


def test_sums_keep_no_value_only_when_no_piece_had_one_and_the_bounds_span_the_pieces(tmp_path: Path) -> None:
    lines = [
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 - - 100 160 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40001 443 6 5 - 200 260 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40002 443 6 - - 300 900 ACCEPT OK",
        "2 1 eni-1 10.0.0.9 10.0.0.2 40002 22 6 1 10 310 320 REJECT OK",
    ]
    objects = [FlowLogObject("a.log", "\n".join(lines).encode() + b"\n")]
    merged = pieces_merged(objects, [100, 200, 300, 400], tmp_path)
    assert merged == digest(objects, 100, 400)
    assert merged.splitlines() == [
        b"2 1 eni-1 10.0.0.1 10.0.0.2 0 443 6 5 - 100 900 ACCEPT OK",
        b"2 1 eni-1 10.0.0.9 10.0.0.2 0 22 6 1 10 100 900 REJECT OK",
    ]


def merged_apart(paths: list[Path]) -> subprocess.CompletedProcess[bytes]:
    """digests_merge of `paths` in a process of its own: a merge that never ends (it runs compiled, without
    the GIL) fails the test at the time limit instead of hanging the suite."""
    code = "import sys; from pathlib import Path; from digests.engine.merge import digests_merge; "
    code += "digests_merge([Path(p) for p in sys.argv[1:]], sys.stdout.buffer)"
    command = [sys.executable, "-c", code, *map(str, paths)]
    return subprocess.run(command, capture_output=True, timeout=120, check=False, cwd=ROOT)


def test_sums_at_the_ends_of_int64_merge_as_one_pass_sums_them(tmp_path: Path) -> None:
    # -2**63 has no positive int64: negating it to write it used to loop forever; sums wrap as the
    # one-pass engine's do
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    lines = [
        header,
        "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 -9223372036854775808 9223372036854775807 100 160 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40001 443 6 -1 1 200 260 ACCEPT OK",
        "2 1 eni-1 10.0.0.3 10.0.0.2 40001 443 6 -9223372036854775808 -9223372036854775808 210 260 ACCEPT OK",
    ]
    objects = [FlowLogObject("a.log", "\n".join(lines).encode() + b"\n")]
    paths = []
    for number, (start, stop) in enumerate(itertools.pairwise([100, 200, 300])):
        paths.append(tmp_path / f"piece-{number}.log")
        paths[-1].write_bytes(digest(objects, start, stop))
    done = merged_apart(paths)
    assert done.returncode == 0, done.stderr
    merged = done.stdout
    assert merged == digest(objects, 100, 300)
    assert merged.splitlines() == [
        b"2 1 eni-1 10.0.0.1 10.0.0.2 0 443 6 9223372036854775807 -9223372036854775808 100 260 ACCEPT OK",
        b"2 1 eni-1 10.0.0.3 10.0.0.2 0 443 6 -9223372036854775808 -9223372036854775808 100 260 ACCEPT OK",
    ]


@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775809", "99999999999999999999"])
def test_a_sum_beyond_int64_is_not_a_digest_line(number: str, tmp_path: Path) -> None:
    (tmp_path / "big.log").write_bytes(
        f"2 1 eni-1 10.0.0.1 10.0.0.2 0 443 6 {number} 1 1 2 ACCEPT OK\n".encode()
    )
    done = merged_apart([tmp_path / "big.log"])
    assert done.returncode != 0
    assert b"DigestMergeError: big.log: not a digest line" in done.stderr


def test_empty_pieces_merge_to_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "empty.log.gz").write_bytes(igzip.compress(b""))
    out = io.BytesIO()
    assert digests_merge([tmp_path / "empty.log", tmp_path / "empty.log.gz"], out) == 0
    assert out.getvalue() == b""


def test_a_piece_that_is_not_a_digest_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.log").write_bytes(b"2 1 eni-1 10.0.0.1\n")
    with pytest.raises(DigestMergeError, match=r"bad\.log: not a digest"):
        digests_merge([tmp_path / "bad.log"], io.BytesIO())


def reference_merge(pieces: list[list[list[bytes]]]) -> bytes:
    """The merge by its definition: sums per head and tail, the pieces' bounds, sorted bytewise."""
    sums: dict[tuple[bytes, bytes], list[int | None]] = {}
    firsts = [int(p[0][10]) for p in pieces if p and p[0][10] != b"-"]
    lasts = [int(p[0][11]) for p in pieces if p and p[0][11] != b"-"]
    for piece in pieces:
        for fields in piece:
            key = (b" ".join(fields[:8]), b" ".join(fields[12:]))
            total = sums.setdefault(key, [None, None])
            for slot, value in enumerate(fields[8:10]):
                if value != b"-":
                    total[slot] = (total[slot] or 0) + int(value)
    text = lambda v: b"-" if v is None else str(v).encode()  # noqa: E731
    bounds = [text(min(firsts) if firsts else None), text(max(lasts) if lasts else None)]
    lines = [b" ".join([h, text(p), text(b), *bounds, t]) for (h, t), (p, b) in sums.items()]
    return b"".join(line + b"\n" for line in sorted(lines))


@pytest.mark.parametrize("seed", range(6))
def test_heads_that_are_prefixes_of_others_or_hold_control_bytes_merge_in_byte_order(
    seed: int, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    protocols = [b"6", b"61", b"6\x01", b"6\x1f", b"\x01", b"-", b"17"]
    tails = [[b"ACCEPT", b"OK"], [b"REJECT", b"OK"], [b"accept", b"\x01"], [b"-", b"OK"]]
    pieces = []
    for number in range(rng.randint(1, 5)):
        first, last = rng.choice([b"-", b"100", b"7"]), rng.choice([b"-", b"900", b"1000"])
        lines: dict[bytes, list[bytes]] = {}
        for _ in range(rng.randint(0, 40)):
            fields = [b"2", b"1", rng.choice([b"eni-1", b"eni-10", b"eni-1\x02"]), b"a", b"b", b"0"]
            fields += [rng.choice([b"443", b"44", b"4430"]), rng.choice(protocols)]
            fields += [rng.choice([b"-", b"3", b"-12"]), rng.choice([b"-", b"40"]), first, last]
            fields += rng.choice(tails)
            lines[b" ".join(fields[:8] + fields[12:])] = fields  # one line a group in a piece
        rendered = sorted(b" ".join(fields) for fields in lines.values())
        pieces.append([line.split(b" ") for line in rendered])
        (tmp_path / f"p{number}.log").write_bytes(b"".join(line + b"\n" for line in rendered))
    out = io.BytesIO()
    digests_merge(sorted(tmp_path.glob("p*.log")), out)
    assert out.getvalue() == reference_merge(pieces)
