"""Create the `admin` superuser on first run so a newcomer can log in to the preview pages."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the superuser `admin` if no superuser exists; its password goes to <data dir>/admin-password."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        password_file = settings.DATA_DIR / "admin-password"
        if users.objects.filter(is_superuser=True).exists():
            if password_file.exists():
                self.stdout.write(f"Log in as admin with the password in {password_file}")
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser("admin", "", password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(f"Created superuser admin; password: {password} (also in {password_file})")
