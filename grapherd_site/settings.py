"""Django settings, derived from grapherd's configuration (`ops.env`): the environment is read once.

Bad values never crash the import: `config_read` reports them as problems (the system checks in
`ops.checks` print them, naming the variable) and the defaults stand in, which run a fresh checkout.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import dj_database_url

from ops.env import Config, config_read, data_dir_read
from ops.secret_key import secret_key_get

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir_read(os.environ, BASE_DIR)
# Raw values of every variable; `ops.config` parses them for the running code (tests replace them).
GRAPHERD_ENV: dict[str, str] = dict(os.environ)
CONFIG: Config = config_read(GRAPHERD_ENV, DATA_DIR)[0]

SECRET_KEY = secret_key_get(CONFIG)
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(CONFIG.csrf_trusted_origins)

# HTTPS, from the environment under Django's names (README "Production"); off by default for plain HTTP.
SECURE_SSL_REDIRECT = CONFIG.secure.ssl_redirect
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
if CONFIG.secure.proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + CONFIG.secure.proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )
SECURE_HSTS_SECONDS = CONFIG.secure.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.secure.hsts_include_subdomains
SECURE_HSTS_PRELOAD = CONFIG.secure.hsts_preload
SESSION_COOKIE_SECURE = CONFIG.secure.session_cookie_secure
CSRF_COOKIE_SECURE = CONFIG.secure.csrf_cookie_secure

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ops",
    "jobs",
    "digests",  # before django_q: its `qcluster` prepares the digest engine, then runs django-q2's
    "graphs",
    "enrichment",
    "connections",
    "django_q",
]

MIDDLEWARE = [
    "ops.metrics.RequestMetricsMiddleware",
    "ops.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The Go-compatible routes answer `/a/b/` with 404, never with a redirect.
APPEND_SLASH = False

ROOT_URLCONF = "grapherd_site.urls"
WSGI_APPLICATION = "grapherd_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(config: Config) -> dict[str, Any]:
    url = config.database_url or f"sqlite:///{DATA_DIR / 'grapherd.sqlite3'}"
    try:
        database = dict(dj_database_url.parse(url, conn_max_age=config.database_conn_max_age))
    except Exception:
        # The dummy backend refuses every query, so a typo never silently writes to another database.
        return {"ENGINE": "django.db.backends.dummy"}
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A database that hangs must not hang every request: bounded connects and statements.
        options: dict[str, Any] = {**database.get("OPTIONS", {})}  # type: ignore[dict-item]
        options.setdefault("connect_timeout", config.database_connect_timeout_s)
        statement = f"-c statement_timeout={config.database_statement_timeout_ms}"
        options["options"] = f"{options.get('options', '')} {statement}".strip()
        database["OPTIONS"] = options
    return database


DATABASES = {"default": _database(CONFIG)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default keeps its database in the data folder; create it on first use. When that is
    # impossible the database error that follows names the path, which says more than a traceback here.
    with contextlib.suppress(OSError):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    # The web server and the worker share one SQLite file; WAL and a busy timeout keep them from
    # failing each other's writes with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Static files are served from the apps by WhiteNoise (finders); STATIC_ROOT only for `collectstatic`.
STATIC_ROOT = CONFIG.static_root or None
# Serve static files straight from the apps in tests and `make run` alike; no collectstatic step needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/graphs/"


def storages_from_config(config: Config) -> dict[str, dict[str, Any]]:
    """Each artifact store is an S3 bucket when its *_BUCKET variable is set, else a local folder."""

    def s3_or_local(bucket: str, region: str, folder: str) -> dict[str, Any]:
        if not bucket:
            return {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": config.data_dir / folder, "allow_overwrite": True},
            }
        options: dict[str, Any] = {
            "bucket_name": bucket,
            "region_name": region or None,
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": False,
        }
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}

    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        "graphs": s3_or_local(config.graph_storage_bucket, config.graph_storage_region, "graphs"),
        "graph-progress": s3_or_local(
            config.graph_progress_bucket, config.graph_progress_region, "graph-progress"
        ),
        "digests": s3_or_local(config.digest_storage_bucket, config.digest_storage_region, "digests"),
        "digest-progress": s3_or_local(
            config.digest_progress_bucket, config.digest_progress_region, "digest-progress"
        ),
    }


# Every AWS client (django-storages, the flow-log source, STS) uses boto3's default credential chain:
# with USE_IAM=true that finds the instance role; with USE_IAM=false the Go service's variables feed it
# keys (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, read by boto3 itself) or a profile of a credentials file.
if CONFIG.aws_credentials_file:
    os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", CONFIG.aws_credentials_file)
if not CONFIG.use_iam and CONFIG.aws_credentials_profile:
    os.environ.setdefault("AWS_PROFILE", CONFIG.aws_credentials_profile)

STORAGES = storages_from_config(CONFIG)


# A cache shared by the web server and the worker: django-q2 keeps its cluster status there and the
# worker heartbeat behind /healthz lives there. The database cache needs `createcachetable`.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "grapherd_cache"},
}

# The worker: django-q2 on the ORM broker in the same database. `timeout` < `retry`: a task still
# running is never handed to a second worker; one whose worker process died is redelivered after
# `retry`, and the job claim makes that harmless. A task stopped by `timeout` is recorded on its job
# row (retried while attempts remain) by the job flow, not redelivered by the broker.
Q_CLUSTER = {
    "name": "grapherd",
    "orm": "default",
    "workers": CONFIG.workers,
    "timeout": CONFIG.task_timeout_s,
    "retry": CONFIG.task_timeout_s + 120,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    # A worker that ran a digest holds the engine's compiled stack (numba, polars, pyarrow: ~300 MB) and
    # the job's peak heap; django-q2 replaces a worker whose RSS is above this after its task, so an idle
    # service stays light. The next digest loads the stack from numba's cache (about a second).
    "max_rss": 200_000,  # kilobytes
    "poll": 0.5,
    "label": "Worker queue",
}
if CONFIG.broker_url:
    # Redis pops a task without a receipt: a worker that dies loses it. grapherd's own claims and the
    # reaper (which re-queues jobs left queued or running without a live lease) keep jobs safe anyway.
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = CONFIG.broker_url

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "grapherd API",
    "DESCRIPTION": "Connection graphs from AWS VPC Flow Logs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["graphs.api.views.schema_v1_endpoints"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"}
        if CONFIG.log_output != "NULL"
        else {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
}
