"""The built-in engine: grapherd's compiled scan (digests/engine/) over the objects fetched by the source."""

from __future__ import annotations

import contextlib
from typing import BinaryIO

from digests.engine.digest import digest_objects
from digests.engines.base import EngineInput, EngineRun, objects_fetched
from digests.rich import RichCopies


class BuiltinEngine:
    name = "builtin"

    def digest(self, given: EngineInput, out: BinaryIO, rich: RichCopies) -> EngineRun:
        with contextlib.closing(objects_fetched(given)) as objects:
            figures = digest_objects(rich.watch(objects), given.start, given.stop, out)
        return EngineRun(figures)
