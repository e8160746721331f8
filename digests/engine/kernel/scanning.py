"""`scan`: flow-log text lines in, their records classified and added to the table (see the package's
docstring), and the scratch arrays it works in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import address, compiled, inlined
from digests.engine.kernel.constants import (
    ACCOUNT,
    ARENA_USED,
    B_BYTES,
    B_HAS_BYTES,
    B_HAS_PACKETS,
    B_K1,
    B_PACKETS,
    B_ROW,
    BAD_NUMBER,
    BATCH,
    BYTES,
    DONE,
    DSTADDR,
    END,
    FIELD_COUNT,
    FIELD_COUNT_SKIP,
    FIRST,
    GROUPS,
    GROW,
    HAS_FIRST,
    HAS_LAST,
    HEADER,
    IN_WINDOW,
    LAST,
    LAYOUT_COLUMNS,
    MAX_TOKENS,
    MILLISECONDS_FROM,
    NO_DATA,
    NON_ASCII,
    O_ROWS,
    O_TEXT,
    OUTBOX,
    OUTBOX_USED,
    OUTSIDE,
    PACKETS,
    RECORDS,
    ROW,
    SRCADDR,
    SRCPORT,
    START,
    STATUS,
    STATUS_NODATA,
    STATUS_OK,
    STATUS_SKIPDATA,
    UNKNOWN_LAYOUT,
    UNKNOWN_STATUS,
)
from digests.engine.kernel.fields import (
    absent_length,
    is_name_line,
    layout_row,
    lower_is,
    named,
    parse_number,
    split,
    split_clean,
)
from digests.engine.kernel.hashing import record_key
from digests.engine.kernel.tables import add_batch, group_shard, prefetch_row


@compiled
def scan(
    buf: np.ndarray,
    pos: int,
    end: int,
    layouts: np.ndarray,
    width: int,
    strict: bool,
    clean: bool,
    start: int,
    stop: int,
    seeds: np.ndarray,
    table: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    counts: np.ndarray,
    starts_array: np.ndarray,
    ends_array: np.ndarray,
    numbers_array: np.ndarray,
    present_array: np.ndarray,
    batch_array: np.ndarray,
    shards: int,
    owner: int,
    outbox: np.ndarray,
    outbox_text: np.ndarray,
    outbox_used: np.ndarray,
) -> tuple[int, int]:
    """Scans the lines of buf[pos:end] (each ending in a newline); returns (where it stopped, why).

    `layouts` holds three rows of LAYOUT_COLUMNS, flat: the layout in force (its `width` tokens; 0: none
    yet), then the defaults for 14 and 36 tokens (see `layout_row`). With `strict`, name-like and non-ASCII lines stop the scan.
    `clean` says that the text holds no tab, CR or non-ASCII byte (Python's bytes methods tell that fast).
    `table` is flat: ROW int64 per slot, a power of two of slots.

    Then five arrays of scratch space (see `scratch`), passed in rather than made here: the loop works on
    plain pointers to them (see `address`). With `shards` > 1 this table holds only the groups of shard
    `owner`; the records of the others go to their outboxes (rows of `outbox`, `outbox_text` and
    `outbox_used`, one per shard), and the scan stops with OUTBOX before a record that might not fit.
    """
    most = starts_array.shape[0] - 1  # tokens a line keeps
    text, size = address(buf), buf.shape[0]
    starts, ends = address(starts_array), address(ends_array)
    numbers, present = address(numbers_array), address(present_array)
    batch, rows, tally, seed = address(batch_array), address(layouts), address(counts), address(seeds)
    slots, used = address(table), address(outbox_used)  # the inlined helpers get pointers, not arrays
    box_rows, box_text = outbox.shape[1], outbox_text.shape[1]
    waiting = 0
    waiting_bytes = 0  # key text the waiting records may add to the arena
    mask = table.shape[0] // ROW - 1
    code = DONE
    while pos < end:
        # tokens of one line: single spaces on the fast path, anything else on the careful one
        regular = False
        if clean:
            count, p, regular = split_clean(text, pos, end, starts, ends, most)
        ascii_only = True
        if not regular:
            count, p, ascii_only = split(text, pos, end, starts, ends, most)
        following = min(p + 1, end)
        if count == 0:
            pos = following
            continue
        if strict:
            if not ascii_only:
                code = NON_ASCII
                break
            if is_name_line(text, starts, ends, count, most):
                code = HEADER
                break
        # the layout: its row, or -1 for none that fits, -2 for the wrong token count
        row = layout_row(width, count)
        cols = row * LAYOUT_COLUMNS
        key_bytes = 0  # at most what the key text may add to the arena
        if row >= 0:
            for f in range(ACCOUNT, SRCPORT):
                t = rows[cols + f]
                key_bytes += (ends[t] - starts[t] if t >= 0 else absent_length(f)) + 1
        groups = tally[GROUPS] + waiting + 1
        if (
            2 * groups > mask + 1
            or groups >= keys.shape[0]
            or tally[ARENA_USED] + waiting_bytes + key_bytes > arena.shape[0]
        ):
            code = GROW
            break
        if shards > 1 and _outbox_short(
            used, shards, owner, box_rows, box_text, waiting + 1, waiting_bytes + key_bytes
        ):
            code = OUTBOX
            break
        pos = following
        tally[RECORDS] += 1
        if row == -1:
            tally[UNKNOWN_LAYOUT] += 1
            continue
        if row == -2:
            tally[FIELD_COUNT_SKIP] += 1
            continue
        # log-status: OK in any case is data; NODATA and SKIPDATA are counted as such, `-` and anything
        # else as an unknown status. A layout without the field is decided once the numbers are read.
        status_token = rows[cols + STATUS]
        if status_token >= 0 and not lower_is(text, starts[status_token], ends[status_token], STATUS_OK):
            s, e = starts[status_token], ends[status_token]
            if lower_is(text, s, e, STATUS_NODATA) or lower_is(text, s, e, STATUS_SKIPDATA):
                tally[NO_DATA] += 1
            else:
                tally[UNKNOWN_STATUS] += 1
            continue
        bad = False
        for f in range(SRCPORT, FIELD_COUNT):
            t = rows[cols + f]
            present[f] = 0
            if t >= 0:
                status, value = parse_number(text, starts[t], ends[t], size)
                if status == 2:
                    bad = True
                    break
                if status == 0:
                    present[f] = 1
                    numbers[f] = value
        if bad:
            tally[BAD_NUMBER] += 1
            continue
        if status_token < 0:
            # No log-status field: a record with a port, protocol, packets or bytes value, or with both
            # addresses (AWS's NAT gateway example logs only addresses), is data (its line says OK); one
            # with none is what a NODATA or SKIPDATA record looks like, unknown.
            flow_numbers = 0
            for f in range(SRCPORT, START):
                flow_numbers += present[f]
            if flow_numbers == 0 and not (
                named(text, starts, ends, rows[cols + SRCADDR])
                and named(text, starts, ends, rows[cols + DSTADDR])
            ):
                tally[UNKNOWN_STATUS] += 1
                continue
        for f in (START, END):
            if present[f] and numbers[f] >= MILLISECONDS_FROM:
                numbers[f] //= 1000
        moment_field = START if present[START] else END
        if present[moment_field]:
            moment = numbers[moment_field]
            if moment < start or moment >= stop:
                tally[OUTSIDE] += 1
                continue
        tally[IN_WINDOW] += 1
        if present[START] and (tally[HAS_FIRST] == 0 or numbers[START] < tally[FIRST]):
            tally[FIRST] = numbers[START]
            tally[HAS_FIRST] = 1
        if present[END] and (tally[HAS_LAST] == 0 or numbers[END] > tally[LAST]):
            tally[LAST] = numbers[END]
            tally[HAS_LAST] = 1
        record = waiting * B_ROW
        record_key(text, starts, ends, rows, cols, numbers, present, regular, size, seed, batch, record)
        if shards == 1 or group_shard(batch[record + B_K1], shards) == owner:  # else it goes to an outbox
            prefetch_row(slots, (batch[record + B_K1] & mask) * ROW)
        batch[record + B_PACKETS] = numbers[PACKETS]
        batch[record + B_HAS_PACKETS] = present[PACKETS]
        batch[record + B_BYTES] = numbers[BYTES]
        batch[record + B_HAS_BYTES] = present[BYTES]
        waiting += 1
        waiting_bytes += key_bytes
        if waiting == BATCH:
            add_batch(
                batch_array, waiting, buf, table, keys, offsets, arena, counts,
                shards, owner, outbox, outbox_text, outbox_used,
            )  # fmt: skip
            waiting = 0
            waiting_bytes = 0
    add_batch(
        batch_array, waiting, buf, table, keys, offsets, arena, counts,
        shards, owner, outbox, outbox_text, outbox_used,
    )  # fmt: skip
    return pos, code


@inlined
def _outbox_short(
    used: Any, shards: int, owner: int, box_rows: int, box_text: int, records: int, text: int
) -> bool:
    """Whether some other shard's outbox (of `box_rows` batch-row int64 and `box_text` text bytes; `used`
    points to the flat `outbox_used`) might lack room for `records` more records of `text` key bytes."""
    for shard in range(shards):
        if shard != owner and (
            (used[shard * OUTBOX_USED + O_ROWS] + records) * B_ROW > box_rows
            or used[shard * OUTBOX_USED + O_TEXT] + text > box_text
        ):
            return True
    return False


def scratch(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`scan`'s scratch arrays for layouts up to `width` tokens: token starts and ends, the numbers of a
    record and whether each is there, and the batch."""
    room = max(MAX_TOKENS, width) + 1
    return (
        np.empty(room, np.int64),
        np.empty(room, np.int64),
        np.zeros(FIELD_COUNT, np.int64),
        np.zeros(FIELD_COUNT, np.uint8),
        np.empty(BATCH * B_ROW, np.int64),
    )
