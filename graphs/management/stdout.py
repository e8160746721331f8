"""Writing an artifact's bytes to a management command's stdout."""

from __future__ import annotations

import codecs
import shutil
import sys
from typing import Any


def copy_to_stdout(handle: Any, stdout: Any) -> None:
    # Real stdout takes the bytes unchanged; a captured (text) stream gets them decoded.
    target = getattr(stdout, "_out", stdout)
    if target is sys.stdout and hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        target.write(decoder.decode(chunk))
    target.write(decoder.decode(b"", final=True))
