"""Flow logs in a local folder: the AWS S3 layouts copied down (`aws s3 sync`), or loose files."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from digests.engine.objects import FlowLogReadError, FlowLogRef
from digests.sources.delivery import FileWindow, file_window, name_parse

# Files without an AWS name are read whatever their time: the engine filters records exactly.
LOOSE_SUFFIXES = (".log", ".gz", ".parquet", ".txt")
# The sample data's README.txt would otherwise be read as a (headerless, unparseable) flow log.
IGNORED_STEMS = frozenset({"readme", "license", "notice"})


class LocalFolderSource:
    """Walks `root[/prefix]`. Keys are POSIX paths relative to `root`; hidden files and folders are ignored.

    Files named like AWS flow logs are picked by the timestamp in their name, with the same slack as S3;
    other `*.log`, `*.gz`, `*.parquet` and `*.txt` files are always included (timestamp None). Empty files
    are skipped. Nothing is ever counted in `skipped_keys`, since any name is allowed here.
    """

    skipped_keys: builtins.list[str]
    listed_prefixes: builtins.list[str]

    def __init__(self, root: Path, prefix: str = "") -> None:
        self.root = Path(root)
        self.prefix = prefix.strip("/")
        self.skipped_keys = []
        self.listed_prefixes = []

    def list(self, start: datetime, stop: datetime) -> Iterator[FlowLogRef]:
        top = self.root / self.prefix if self.prefix else self.root
        self.listed_prefixes = [str(top)]
        if not top.is_dir():
            raise FlowLogReadError(str(top), "flow-log folder does not exist or is not a folder")
        self.skipped_keys = []
        window = file_window(start, stop)
        if window is None:
            return iter(())
        paths = _walk(top, lambda folder: _folder_may_hold(folder.relative_to(self.root).parts, window))
        refs = [ref for path in paths if (ref := self._ref(path, window)) is not None]
        return iter(sorted(refs, key=lambda ref: ref.key))

    def read(self, ref: FlowLogRef) -> bytes:
        relative = PurePosixPath(ref.key)
        path = self.root.joinpath(*relative.parts)
        if relative.is_absolute() or ".." in relative.parts:
            raise FlowLogReadError(str(path), "key points outside the flow-log folder")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise FlowLogReadError(str(path), "file not found (removed since listing?)") from None
        except PermissionError:
            raise FlowLogReadError(str(path), "permission denied") from None
        except OSError as error:
            raise FlowLogReadError(str(path), error.strerror or type(error).__name__) from error

    def _ref(self, path: Path, window: FileWindow) -> FlowLogRef | None:
        parsed = name_parse(path.name)
        if parsed is None and not _is_loose_flow_log(path.name):
            return None
        if parsed is not None and not window.contains(parsed.timestamp):
            return None
        try:
            size = path.stat().st_size
        except OSError:
            return None  # vanished between the walk and the stat: nothing to read
        if size == 0:
            return None
        timestamp = parsed.timestamp if parsed else None
        return FlowLogRef(path.relative_to(self.root).as_posix(), size, timestamp)


def _is_loose_flow_log(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(LOOSE_SUFFIXES) and lowered.split(".", 1)[0] not in IGNORED_STEMS


def _folder_may_hold(parts: tuple[str, ...], window: FileWindow) -> bool:
    """False for a date folder of an AWS layout (`…/vpcflowlogs/<region>/2019/01/02[/13]`, or the Hive
    `year=2019/month=01/…`) whose span ends before or starts after the window, so a folder holding years
    of logs is not walked whole for an hour's graph. Any other folder may hold anything."""
    span = _date_span(parts)
    return span is None or (span[0] <= window.last and span[1] > window.first)


def _date_span(parts: tuple[str, ...]) -> tuple[datetime, datetime] | None:
    for index, part in enumerate(parts[:-2]):
        if part in ("vpcflowlogs", "aws-service=vpcflowlogs"):
            values = [value.partition("=")[2] or value for value in parts[index + 2 : index + 6]]
            return _span(values) if values else None
    return None


def _span(values: builtins.list[str]) -> tuple[datetime, datetime] | None:
    widths = (4, 2, 2, 2)
    if not all(value.isdigit() and len(value) == width for value, width in zip(values, widths, strict=False)):
        return None
    numbers = [int(value) for value in values] + [1, 1, 0][len(values) - 1 :]
    try:
        begin = datetime(numbers[0], numbers[1], numbers[2], numbers[3], tzinfo=UTC)
    except ValueError:
        return None
    if len(values) == 1:
        return begin, begin.replace(year=begin.year + 1)
    if len(values) == 2:
        return begin, (begin + timedelta(days=32)).replace(day=1)
    return begin, begin + (timedelta(days=1) if len(values) == 3 else timedelta(hours=1))


def _walk(top: Path, enter: Callable[[Path], bool]) -> Iterator[Path]:
    """Regular files under `top` in a stable order, skipping hidden names and folders `enter` refuses;
    unreadable folders are errors."""

    def fail(error: OSError) -> None:
        raise FlowLogReadError(str(error.filename), error.strerror or type(error).__name__)

    for folder, dirnames, filenames in os.walk(top, onerror=fail):
        dirnames[:] = sorted(
            name for name in dirnames if not name.startswith(".") and enter(Path(folder, name))
        )
        for name in sorted(filenames):
            path = Path(folder, name)
            if not name.startswith(".") and path.is_file():
                yield path
