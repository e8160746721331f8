"""Django's HTTPS settings from the environment, under their Django names (README "Production")."""

from __future__ import annotations

from dataclasses import dataclass

from ops.env_reader import EnvReader


@dataclass(frozen=True)
class SecureSettings:
    """Django's HTTPS settings, under their Django names; all off by default (plain HTTP on localhost)."""

    ssl_redirect: bool = False
    proxy_ssl_header: str = ""  # e.g. X-Forwarded-Proto: the proxy in front terminates TLS
    hsts_seconds: int = 0
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    session_cookie_secure: bool = False
    csrf_cookie_secure: bool = False


def secure_values(r: EnvReader) -> SecureSettings:
    return SecureSettings(
        ssl_redirect=r.flag("SECURE_SSL_REDIRECT", False),
        proxy_ssl_header=r.text("SECURE_PROXY_SSL_HEADER"),
        hsts_seconds=r.integer("SECURE_HSTS_SECONDS", 0, minimum=0, unit="seconds"),
        hsts_include_subdomains=r.flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
        hsts_preload=r.flag("SECURE_HSTS_PRELOAD", False),
        session_cookie_secure=r.flag("SESSION_COOKIE_SECURE", False),
        csrf_cookie_secure=r.flag("CSRF_COOKIE_SECURE", False),
    )
