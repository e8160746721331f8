"""Windows digested hour by hour (GRAPHERD_DIGEST_PARTIALS=hourly): whole hours fanned out and reused.

A window that holds at least one whole UTC hour is cut into pieces: its whole hours, and the edges before
the first and after the last (a window from 00:30 to 03:10 is 00:30-01:00, 01-02, 02-03, 03:00-03:10).

- Each whole hour is the digest job of the window [H, H+1h): the same row, id and artifact as a request
  for that hour, so it is built once and reused by every window that covers it (a day after its 24 hours
  were built costs a merge). A stored hour is reused only when it is complete: one still inside the
  delivery delay (or built from no file) is built again.
- The hours are queued for any worker; the window's own job builds the edges, then claims and builds the
  hours no worker has taken yet (so one worker alone never waits on itself), then waits for the rest.
- The pieces' digests are merged (digests.engine.merge): byte for byte what one pass over the window
  writes, reading a block of each piece at a time (memory grows with the pieces, not with their text).
  The connection fold reads the merged digest and the pieces' rich records (digests.rich_lines).

The fan-out needs files named like AWS flow logs (S3, or a folder laid out as S3): a file without a time in
its name would be read by every hour. A window of loose files, or of no file, is digested in one pass.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from django.utils import timezone
from isal import igzip

from digests.connections import RICH_SUFFIX, RichInput, rich_table_write
from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogRef
from digests.models import Digest
from digests.piece_digest import HOUR, PieceDigest, piece_digest
from digests.sources.base import FlowLogSource
from digests.sources.delivery import file_window
from jobs.completeness import job_final
from jobs.errors import ArtifactExists, JobFailed, JobInProgress
from jobs.leases import run_ended
from jobs.models import Job, JobStatus
from jobs.progress import JobProgress
from jobs.window import NS_PER_SECOND, Instant, Window
from ops.config import config_get

if TYPE_CHECKING:
    from digests.engines.base import DigestEngine
    from digests.flow import DigestFlow

POLL_SECONDS = 0.5  # how often the window's job looks at the hours other workers build


@dataclass(frozen=True)
class Piece:
    """[start, stop) in Unix seconds."""

    start: int
    stop: int

    @property
    def whole_hour(self) -> bool:
        return self.start % HOUR == 0 and self.stop - self.start == HOUR

    def window(self) -> Window:
        """The piece as a UTC window: an hour's digest job is the one a request for that hour makes."""
        return Window(Instant(self.start * NS_PER_SECOND, 0), Instant(self.stop * NS_PER_SECOND, 0))


def window_pieces(start: int, stop: int) -> list[Piece]:
    """The window's edges and whole hours, in order; the window itself when it holds no whole hour."""
    first, last = -(-start // HOUR) * HOUR, stop // HOUR * HOUR
    if last - first < HOUR:
        return [Piece(start, stop)]
    edges_before = [Piece(start, first)] if start < first else []
    edges_after = [Piece(last, stop)] if last < stop else []
    return [*edges_before, *(Piece(h, h + HOUR) for h in range(first, last, HOUR)), *edges_after]


def partials_wanted(
    flow: DigestFlow, pieces: Sequence[Piece], refs: Sequence[FlowLogRef], *, reread: bool = False
) -> bool:
    """Whether to digest the window hour by hour: it has more than one piece and every file has a time,
    and GRAPHERD_DIGEST_PARTIALS is `hourly`, or `auto` and at least half its whole hours are stored and
    complete (building the rest hour by hour costs less than reading all of it: an hour reads its edge
    files too, and on one host a pass over the window already uses every core). A re-run (`reread`)
    reuses nothing, so `auto` reads it in one pass."""
    mode = config_get().digest_partials
    if mode == "off" or len(pieces) < 2 or not refs or any(ref.timestamp is None for ref in refs):
        return False
    if mode == "hourly":
        return True
    if reread:
        return False
    hours = [piece.window().job_id("digest") for piece in pieces if piece.whole_hour]
    return bool(hours) and 2 * len(hours_reusable(flow, hours)) >= len(hours)


def hours_reusable(flow: DigestFlow, job_ids: Sequence[str]) -> set[str]:
    """The hours whose digests are stored and complete (not built inside the delivery delay, nor from
    no file): what a window can take as they are."""
    rows = Digest.objects.filter(id__in=list(job_ids), status=JobStatus.DONE)
    store = flow.store()
    return {str(row.id) for row in rows if job_final(row) and store.exists(str(row.id), flow.suffix)}


@dataclass
class Partials:
    """A window's job digesting it hour by hour: what it needs from the job that runs it."""

    flow: DigestFlow
    engine: DigestEngine
    source: FlowLogSource
    refs: list[FlowLogRef]
    progress: JobProgress
    folder: Path
    reread: bool = False  # a re-run: every hour is read again, none reused
    reused: set[str] = field(default_factory=set)


def partials_build(parts: Partials, pieces: Sequence[Piece]) -> tuple[PieceDigest, dict[str, int]]:
    """The window's digest merged from its pieces, and the `partials`/`partials_reused` figures."""
    from digests.engine.merge import digests_merge  # polars: the worker's stack, never the web tier's

    hours = {piece.window().job_id("digest"): piece for piece in pieces if piece.whole_hour}
    _hours_request(parts, hours)
    built = [
        _edge_digest(parts, number, piece) for number, piece in enumerate(pieces) if not piece.whole_hour
    ]
    _hours_built(parts, hours)
    built += [_hour_fetched(parts, job_id) for job_id in hours]
    parts.progress.stage(f"merging {len(pieces)} pieces")
    path = parts.folder / "digest.log.gz"
    with (
        path.open("wb") as stored,
        igzip.GzipFile(fileobj=stored, mode="wb", compresslevel=2, mtime=0) as out,
    ):
        groups = digests_merge([piece.path for piece in built], cast(BinaryIO, out))
    figures = _figures_summed([piece.figures for piece in built], parts.refs, groups)
    stored_rich = [table for piece in built for table in piece.rich.stored]
    merged = PieceDigest(
        path, figures, _extra_merged([piece.extra for piece in built]), RichInput(stored=stored_rich)
    )
    return merged, {"partials": len(pieces), "partials_reused": len(parts.reused)}


def _hours_request(parts: Partials, hours: dict[str, Piece]) -> None:
    """Queue every hour that is not stored and complete (every hour, for a re-run); an hour busy elsewhere
    is left to its builder."""
    rows = {str(row.id): row for row in Digest.objects.filter(id__in=list(hours))}
    reusable = set() if parts.reread else hours_reusable(parts.flow, list(hours))
    for job_id, piece in hours.items():
        row = rows.get(job_id)
        if job_id in reusable:
            parts.reused.add(job_id)
            continue
        try:
            if row is not None and parts.reread:
                parts.flow.rerun(row, piece=True)
            else:
                parts.flow.request(piece.window(), piece=True)
        except ArtifactExists:  # built meanwhile, complete
            parts.reused.add(job_id)
        except JobInProgress:  # another window's job, a request for the hour, or a worker has it
            pass


def _edge_digest(parts: Partials, number: int, piece: Piece) -> PieceDigest:
    """An edge of the window: digested here, with the record filter, from the files that can hold it; its
    rich records are kept as a table, like an hour's."""
    window = piece.window()
    files = file_window(window.start.to_datetime(), window.stop.to_datetime())
    refs = [ref for ref in parts.refs if files and ref.timestamp and files.contains(ref.timestamp)]
    path = parts.folder / f"edge-{number}.log.gz"
    built = piece_digest(parts.engine, parts.source, refs, (piece.start, piece.stop), path, parts.progress)
    copies, table = built.rich.copies, parts.folder / f"edge-{number}.rich.parquet"
    saved = copies is not None and rich_table_write(copies, built.rich.window, table)
    built.rich = RichInput(stored=[table] if saved else [])
    if copies is not None:
        shutil.rmtree(copies.folder)  # in the table now
    return built


def _hours_built(parts: Partials, hours: dict[str, Piece]) -> None:
    """Builds the hours no worker has taken, waits for the others; raises JobFailed for an hour that failed
    (the window's job is then retried, and the hour with it). An hour is ready once its run has ended:
    done means its text is stored, and its worker goes on to store its rich records, which the merge
    reads too. So stored hours (reused ones as well) are waited for until their worker lets them go."""
    pending = list(hours)
    while pending:
        _stage(parts, hours, pending)
        rows = {str(row.id): row for row in Digest.objects.filter(id__in=pending)}
        waiting = False
        for job_id in pending:
            row = rows.get(job_id)
            if row is not None and row.status == JobStatus.DONE:
                waiting = waiting or not run_ended(row.lease_until, timezone.now())
                continue
            if row is not None and row.status == JobStatus.RUNNING and parts.flow.busy(row):
                waiting = True  # being built elsewhere
                continue
            if parts.flow.run(job_id, hours[job_id].window(), requeue_on_failure=False) is None:
                _raise_if_stuck(parts.flow, job_id, hours[job_id])  # else taken by a worker just now
                waiting = True
        pending = _hours_unfinished(pending)
        if pending and waiting:
            time.sleep(POLL_SECONDS)


def _hours_unfinished(job_ids: list[str]) -> list[str]:
    now = timezone.now()
    done = Digest.objects.filter(id__in=job_ids, status=JobStatus.DONE).values_list("id", "lease_until")
    ended = {str(job_id) for job_id, lease in done if run_ended(lease, now)}
    return [job_id for job_id in job_ids if job_id not in ended]


def _raise_if_stuck(flow: DigestFlow, job_id: str, piece: Piece) -> None:
    """An hour this job could not claim, that is neither done nor being built, is out of attempts."""
    row = Digest.objects.get(id=job_id)
    if row.status != JobStatus.DONE and not flow.busy(row):
        raise JobFailed(f"the digest of the hour from {_hour_text(piece)} failed: {row.error or row.status}")


def _stage(parts: Partials, hours: dict[str, Piece], pending: list[str]) -> None:
    done = len(hours) - len(pending)
    reused = f", {len(parts.reused)} reused" if parts.reused else ""
    parts.progress.stage(f"hours: {done} of {len(hours)} digested{reused}", new=False)


def _hour_fetched(parts: Partials, job_id: str) -> PieceDigest:
    """An hour's stored digest and rich records, copied into the folder, with the figures on its row."""
    store = parts.flow.store()
    path = parts.folder / f"hour-{job_id}.log.gz"
    with store.open(job_id, parts.flow.suffix) as stored, path.open("wb") as copy:
        shutil.copyfileobj(stored, copy, 1 << 20)
    tables = []
    if store.exists(job_id, RICH_SUFFIX):
        tables.append(parts.folder / f"hour-{job_id}.rich.parquet")
        with store.open(job_id, RICH_SUFFIX) as stored, tables[0].open("wb") as copy:
            shutil.copyfileobj(stored, copy, 1 << 20)
    row = Digest.objects.get(id=job_id)
    figures = DigestFigures(
        row.files, row.bytes_read, row.records, row.in_window, row.groups, dict(row.skipped)
    )
    return PieceDigest(path, figures, dict(row.engine_figures), RichInput(stored=tables))


def _figures_summed(pieces: list[DigestFigures], refs: list[FlowLogRef], groups: int) -> DigestFigures:
    """The window's files and bytes as listed; records and skips as its pieces read them (a file at an
    hour's edge is read by both hours, so these sums can exceed a single pass's)."""
    total = DigestFigures(files=len(refs), bytes_read=sum(ref.size for ref in refs), groups=groups)
    for piece in pieces:
        total.records += piece.records
        total.in_window += piece.in_window
        for reason, count in piece.skipped.items():
            total.skipped[reason] = total.skipped.get(reason, 0) + count
    return total


def _extra_merged(extras: list[dict[str, Any]]) -> dict[str, Any]:
    """The engines' figures of the pieces: numbers summed (Athena's bytes scanned and cost), others listed."""
    merged: dict[str, Any] = {}
    for extra in extras:
        for key, value in extra.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                merged[key] = merged.get(key, 0) + value
            else:
                merged.setdefault(key, []).append(value)
    return merged


def _hour_text(piece: Piece) -> str:
    return piece.window().start.rfc3339()


def job_reread(job: Job) -> bool:
    """Whether this build of the window was asked to read every hour again (a re-run)."""
    return bool(getattr(job, "reread", False))
