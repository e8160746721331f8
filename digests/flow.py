"""Digest jobs, the built-in vpcflow-digesterd: list and fetch the window's flow logs, digest them with
the engine (in one pass, or hour by hour: digests.partials), store `<id>.log.gz`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.utils import timezone

from digests.connections import (
    CONNECTIONS_SUFFIX,
    HOSTS_SUFFIX,
    RICH_SUFFIX,
    connections_build,
    rich_table_write,
)
from digests.engine.objects import DigestMergeError, FlowLogReadError
from digests.models import Digest
from digests.partials import Partials, job_reread, partials_build, partials_wanted, window_pieces
from digests.piece_digest import PieceDigest, piece_digest, whole_hour
from digests.sources import flow_log_source
from digests.warnings import digest_warnings
from jobs.completeness import completeness_values
from jobs.flow import JobFlow
from jobs.models import Job
from jobs.progress import JobProgress
from jobs.stage_pause import stage_reached
from jobs.window import Window
from ops.config import config_get
from ops.tempfiles import temp_folder


class DigestFlow(JobFlow):
    namespace = "digest"
    model = Digest
    suffix = ".log.gz"
    shown_errors = (FlowLogReadError, DigestMergeError)  # they name the object or piece that failed
    store_alias = "digests"
    marker_alias = "digest-progress"
    task = "digests.tasks.digest_run_task"

    def rerun(self, job: Job, **values: Any) -> Job:
        """A re-run reads the flow logs again: a window built from hours builds each hour again too."""
        return super().rerun(job, **{"reread": True, **values})

    def progress_timeout_ms(self) -> int:
        return config_get().digest_progress_timeout_ms

    def exists_message(self, job_id: str, window: Window) -> str:
        return f"digest {job_id} already exists"

    def build(self, job: Job, window: Window) -> dict[str, Any]:
        # The engines' stacks (numba, polars, pyarrow, duckdb) load here, in the worker, never in the web
        # processes: `digests.engines` is imported by nothing else the web tier loads.
        from digests.engines import digest_engine

        engine = digest_engine()
        progress = JobProgress(Digest, str(job.id))
        progress.stage("listing flow logs")
        built_at = timezone.now()  # what was delivered by now is what this digest can hold
        source = flow_log_source()
        stage_reached("listing")
        refs = list(source.list(window.start.to_datetime(), window.stop.to_datetime()))
        span = window.start.epoch_seconds, window.stop.epoch_seconds
        pieces = window_pieces(*span)
        with temp_folder() as folder:
            stage_reached("digesting")
            counts = {"partials": 1, "partials_reused": 0}
            if partials_wanted(self, pieces, refs, reread=job_reread(job)):
                parts = Partials(self, engine, source, refs, progress, folder, reread=job_reread(job))
                built, counts = partials_build(parts, pieces)
            else:
                built = piece_digest(engine, source, refs, span, folder / "digest.log.gz", progress)
                if whole_hour(span):  # kept for the windows that merge this hour
                    built.rich = replace(built.rich, save_to=folder / "rich.parquet")
            progress.stage("storing the digest")
            with built.path.open("rb") as stored:
                size = self.store().save(str(job.id), self.suffix, stored)
            figures = built.figures
            found = completeness_values(window.stop.to_datetime(), built_at, found_files=figures.files > 0)
            digest = {
                "warnings": digest_warnings(figures, source.listed_prefixes, len(source.skipped_keys)),
                **found,
                "files": figures.files,
                "bytes_read": figures.bytes_read,
                "records": figures.records,
                "in_window": figures.in_window,
                "groups": figures.groups,
                "skipped": figures.skipped,
                "skipped_keys": len(source.skipped_keys),
                "digest_bytes": size,
                "engine": engine.name,
                "engine_figures": built.extra,
                **counts,
                "reread": False,  # asked for one build
            }
            # Stored, the digest is done (the Go routes serve it); graphs fold the text into connections
            # themselves when the table below is missing.
            self.artifact_stored(job, digest)
            if getattr(job, "piece", False):  # an hour of a longer window: its fold waits for a graph of it
                self.rich_store(str(job.id), built, folder)
                return {"stage": "", **digest, "connections": 0}
            progress.stage("connections")
            connections = self.connections_store(str(job.id), built, folder)
        return {"stage": "", **digest, "connections": connections}

    def rich_store(self, job_id: str, built: PieceDigest, folder: Path) -> None:
        """An hour's rich records, stored for the windows that merge it and for a graph of the hour."""
        copies, table = built.rich.copies, folder / "rich.parquet"
        if copies is not None and rich_table_write(copies, built.rich.window, table):
            with table.open("rb") as content:
                self.store().save(job_id, RICH_SUFFIX, content)

    def connections_store(self, job_id: str, built: PieceDigest, folder: Path) -> int:
        """The window's connection table and hosts (digests.connections), from the digest and the rich
        records, stored beside the digest for the graphs of the window (and an hour's rich records, for
        the windows that merge it)."""
        paths = folder / "connections.parquet", folder / "hosts.parquet"
        figures = connections_build(built.path, *paths, rich=built.rich)
        saved = [*zip(paths, (CONNECTIONS_SUFFIX, HOSTS_SUFFIX), strict=True)]
        if figures.rich_saved and built.rich.save_to is not None:
            saved.append((built.rich.save_to, RICH_SUFFIX))
        for path, suffix in saved:
            with path.open("rb") as content:
                self.store().save(job_id, suffix, content)
        return figures.connections
