"""Create the `admin` superuser on first run so a newcomer can log in to the pages and call the API.

The generated password never reaches the output (process logs keep it): it goes to a file only its owner
can read, and the output says where, once, when the user is created.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the superuser `admin` if no superuser exists; its password goes to <data dir>/admin-password "
        "(mode 0600), never to the output."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        password_file = settings.DATA_DIR / "admin-password"
        _write_private(password_file, password + "\n")
        users.objects.create_superuser("admin", "", password)
        self.stdout.write(f"Created superuser admin; its password is in {password_file} (mode 0600)")


def _write_private(path: Path, text: str) -> None:
    """Created with mode 0600 from the start: never readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a file left by an earlier database keeps its own mode; replace it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
