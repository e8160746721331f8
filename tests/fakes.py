"""Storages that fail, standing in for an S3 bucket that answers errors."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage


class BrokenStorage(FileSystemStorage):
    """Every call fails as an unreachable or denying bucket would."""

    def exists(self, name: str) -> bool:
        raise PermissionError("access denied")

    def _open(self, name: str, mode: str = "rb") -> Any:
        raise PermissionError("access denied")

    def _save(self, name: str, content: Any) -> str:
        raise PermissionError("access denied")

    def delete(self, name: str) -> None:
        raise PermissionError("access denied")


class ReadOnlyStorage(FileSystemStorage):
    """Reads work, writes and deletes fail."""

    def _save(self, name: str, content: Any) -> str:
        raise PermissionError("access denied")

    def delete(self, name: str) -> None:
        raise PermissionError("access denied")


def use_storage(settings: Any, alias: str, backend: type[FileSystemStorage], location: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        alias: {"BACKEND": f"{backend.__module__}.{backend.__qualname__}", "OPTIONS": {"location": location}},
    }
