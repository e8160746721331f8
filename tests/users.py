"""Test users' permissions."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User


def permission_grant(user: User, *names: str) -> None:
    """Give a test user permissions by their dotted names (`graphs.change_graph`)."""
    for name in names:
        app_label, codename = name.split(".")
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        user.user_permissions.add(permission)
