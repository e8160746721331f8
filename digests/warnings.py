"""A digest's warnings: why its window came out empty, in words that point at the likely cause.

A misspelt variable, a wrong prefix or region, or a shell without the server's settings all give a
window with no file; the warning names where the source looked, so the mistake shows."""

from __future__ import annotations

from digests.engine.figures import SKIP_OUTSIDE_WINDOW, DigestFigures

# The words for the skip reasons of digests.engine.figures, as a person reads them.
SKIP_WORDS = {
    "unknown_layout": "in a format that could not be recognised",
    "field_count": "with the wrong number of fields",
    "bad_number": "with a field that is not a number",
    "nodata_skipdata": "with a log-status other than OK",
    SKIP_OUTSIDE_WINDOW: "outside the window",
}


def digest_warnings(figures: DigestFigures, prefixes: list[str], skipped_keys: int) -> list[str]:
    """No file under the prefixes listed; files but no record in the window; every record skipped."""
    if figures.files == 0:
        where = ", ".join(prefixes) or "the flow-log source"
        text = f"no flow-log file for this window under {where}"
        if skipped_keys:
            text += f" ({skipped_keys} object names there are not AWS flow-log names)"
        return [text + ": check the flow-log bucket or folder, its prefix, accounts and regions"]
    if figures.records == 0:
        return [f"{_files(figures.files)} read, but they hold no flow-log record"]
    if figures.in_window > 0:
        return []
    outside = figures.skipped.get(SKIP_OUTSIDE_WINDOW, 0)
    if outside == figures.records:
        return [
            f"{_files(figures.files)} read, but none of their {figures.records:,} records starts in the window"
        ]
    reasons = [
        f"{count:,} {SKIP_WORDS.get(reason, reason)}" for reason, count in figures.skipped.items() if count
    ]
    return [f"all {figures.records:,} records of {_files(figures.files)} were skipped: {', '.join(reasons)}"]


def _files(count: int) -> str:
    return f"{count:,} file" + ("" if count == 1 else "s")
