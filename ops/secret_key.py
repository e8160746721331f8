"""The SECRET_KEY when none is set: a random key generated once and kept in the data folder.

`make run` then works with no configuration and never signs sessions with the public built-in key. Set
SECRET_KEY in production (every web process and host must share one key). Django-free: settings use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from ops.env import DEFAULT_SECRET_KEY, Config

KEY_FILE = "secret-key"


def secret_key_get(config: Config) -> str:
    """SECRET_KEY when set; else the data folder's key, created on first use (0600). The public built-in
    key only when that folder cannot be written, which the system check `grapherd.E016` then refuses."""
    if config.secret_key != DEFAULT_SECRET_KEY:
        return config.secret_key
    path = config.data_dir / KEY_FILE
    with contextlib.suppress(OSError):
        return path.read_text().strip() or _create(path)
    with contextlib.suppress(OSError):
        return _create(path)
    return DEFAULT_SECRET_KEY


def _create(path: Path) -> str:
    key = secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: of two processes starting at once, one writes the key and the other reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key
