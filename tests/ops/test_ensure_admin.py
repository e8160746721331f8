"""`manage.py ensure_admin`: the generated password goes to a private file, never to the output."""

from __future__ import annotations

import io
import stat
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def ensure_admin() -> str:
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_the_password_is_written_to_a_private_file_and_not_printed(settings: Any) -> None:
    output = ensure_admin()
    password_file = settings.DATA_DIR / "admin-password"
    password = password_file.read_text().strip()
    assert password not in output
    assert str(password_file) in output
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert authenticate(username="admin", password=password) is not None


def test_a_second_run_creates_nothing_and_says_nothing(settings: Any) -> None:
    ensure_admin()
    first = (settings.DATA_DIR / "admin-password").read_text()
    assert ensure_admin() == ""
    assert (settings.DATA_DIR / "admin-password").read_text() == first
