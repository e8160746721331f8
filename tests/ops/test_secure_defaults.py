"""Secure by default: no public SECRET_KEY with DEBUG off, HTTPS settings and database timeouts from the
environment, and a `check --deploy` that the README's production variables leave clean."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from grapherd_site.settings import _database
from ops.checks import PUBLIC_SECRET_KEY, secret_key_check
from ops.env import DEFAULT_SECRET_KEY, Config, config_read
from ops.secret_key import secret_key_get
from ops.supervisor import BASE_DIR

# What README "Production" sets (with a real host name and key).
PRODUCTION = {
    "ALLOWED_HOSTS": "grapherd.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://grapherd.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", *PRODUCTION} and not key.startswith("GRAPHERD_")
    }
    environment.update({"GRAPHERD_DATA_DIR": str(tmp_path / "var"), "RUNTIME_STATS_OUTPUT": "NULL", **env})
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, cwd=BASE_DIR)


def test_check_deploy_is_clean_with_the_production_variables(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(50)
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=key, **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_with_debug_off_the_public_secret_key_stops_the_service(tmp_path: Path) -> None:
    # A data folder that cannot be created (below a file) cannot keep a generated key either.
    (tmp_path / "file").write_text("")
    env = {"GRAPHERD_DATA_DIR": str(tmp_path / "file" / "var")}
    done = manage(tmp_path, "check", **env)
    assert done.returncode != 0
    assert PUBLIC_SECRET_KEY in done.stderr


def test_the_web_server_refuses_to_serve_on_the_public_secret_key(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment["GRAPHERD_DATA_DIR"] = str(tmp_path / "file" / "var")
    command = [sys.executable, "-c", "import grapherd_site.wsgi"]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, cwd=BASE_DIR)
    assert done.returncode != 0
    assert "SECRET_KEY is the public built-in key" in done.stderr


def test_the_public_key_is_refused_only_with_debug_off(settings: Any) -> None:
    settings.SECRET_KEY = DEFAULT_SECRET_KEY
    settings.DEBUG = False
    assert [message.id for message in secret_key_check()] == [PUBLIC_SECRET_KEY]
    settings.DEBUG = True
    assert secret_key_check() == []


def test_without_secret_key_a_random_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "var")
    key = secret_key_get(config)
    assert key != DEFAULT_SECRET_KEY and len(key) >= 50
    assert secret_key_get(config) == key
    assert stat.S_IMODE((tmp_path / "var" / "secret-key").stat().st_mode) == 0o600


def test_a_set_secret_key_wins(tmp_path: Path) -> None:
    assert (
        secret_key_get(Config(data_dir=tmp_path, secret_key="from-the-environment")) == "from-the-environment"
    )


def test_only_local_host_names_are_served_unless_allowed_hosts_names_others(tmp_path: Path) -> None:
    assert config_read({}, tmp_path)[0].allowed_hosts == ("localhost", "127.0.0.1", "[::1]")
    config = config_read({"ALLOWED_HOSTS": "a.example.com, b.example.com"}, tmp_path)[0]
    assert config.allowed_hosts == ("a.example.com", "b.example.com")


def test_the_https_settings_are_read_under_their_django_names(tmp_path: Path) -> None:
    secure = config_read(PRODUCTION, tmp_path)[0].secure
    assert secure.ssl_redirect and secure.hsts_include_subdomains and secure.hsts_preload
    assert secure.session_cookie_secure and secure.csrf_cookie_secure
    assert (secure.hsts_seconds, secure.proxy_ssl_header) == (31536000, "X-Forwarded-Proto")


def test_postgresql_connections_get_a_connect_and_a_statement_timeout(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgres://grapherd@db.internal:5432/grapherd",
        "DATABASE_CONNECT_TIMEOUT": "3",
        "DATABASE_STATEMENT_TIMEOUT": "15000",
    }
    options = _database(config_read(env, tmp_path)[0])["OPTIONS"]
    assert options == {"connect_timeout": 3, "options": "-c statement_timeout=15000"}


def test_a_connect_timeout_under_two_seconds_is_refused_as_libpq_would_ignore_it(tmp_path: Path) -> None:
    config, problems = config_read({"DATABASE_CONNECT_TIMEOUT": "1"}, tmp_path)
    assert config.database_connect_timeout_s == 5
    assert [problem.check_id for problem in problems] == ["grapherd.E003"]


def test_authentication_is_required_by_default(tmp_path: Path) -> None:
    assert config_read({}, tmp_path)[0].require_auth is True
    assert config_read({"GRAPHERD_REQUIRE_AUTH": "false"}, tmp_path)[0].require_auth is False
