"""Django settings, driven by environment variables with working embedded defaults.

The seed service's variables keep their names and units (milliseconds for timeouts). Values that need
parsing are kept raw here and parsed by `grapherd_site.config`; Django system checks report bad values
with a message naming the variable, so a typo never becomes an import-time traceback.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import dj_database_url

from grapherd_site.config import flag_parse

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GRAPHERD_DATA_DIR") or BASE_DIR / "var").resolve()


def _env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "t", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY") or "grapherd-embedded-default-not-for-production"
DEBUG = _env_flag("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "django_q",
    "digests",
    "graphs",
]

MIDDLEWARE = [
    "grapherd_site.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The seed routes answer `/a/b/` with 404, never with a redirect.
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


def _int_env(name: str, default: int) -> int:
    # Bad values are reported by the system checks; here they fall back so that import never fails.
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _database(url: str) -> dict[str, Any]:
    try:
        return dict(dj_database_url.parse(url, conn_max_age=_int_env("DATABASE_CONN_MAX_AGE", 0)))
    except Exception:
        # The dummy backend refuses every query, so a typo never silently writes to another database.
        return {"ENGINE": "django.db.backends.dummy"}


DATABASES = {
    "default": _database(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DATA_DIR / 'grapherd.sqlite3'}"
    )
}
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
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
# Serve static files straight from the apps in tests and `make run` alike; no collectstatic step needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/graphs/"

# --- grapherd -------------------------------------------------------------------------------------
# Raw values of every variable grapherd reads; `grapherd_site.config.config_load` parses them.
GRAPHERD_ENV: dict[str, str] = dict(os.environ)


def storages_from_env(env: dict[str, str], data_dir: Path) -> dict[str, dict[str, Any]]:
    """Each artifact store is an S3 bucket when its *_BUCKET variable is set, else a local folder."""

    def s3_or_local(bucket_var: str, region_var: str, folder: str) -> dict[str, Any]:
        bucket = env.get(bucket_var, "")
        if not bucket:
            return {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": data_dir / folder, "allow_overwrite": True},
            }
        options: dict[str, Any] = {
            "bucket_name": bucket,
            "region_name": env.get(region_var) or None,
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": False,
        }
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}

    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        "graphs": s3_or_local("GRAPH_STORAGE_BUCKET", "GRAPH_STORAGE_BUCKET_REGION", "graphs"),
        "graph-progress": s3_or_local(
            "GRAPH_PROGRESS_BUCKET", "GRAPH_PROGRESS_BUCKET_REGION", "graph-progress"
        ),
        "digests": s3_or_local("DIGEST_STORAGE_BUCKET", "DIGEST_STORAGE_BUCKET_REGION", "digests"),
        "digest-progress": s3_or_local(
            "DIGEST_PROGRESS_BUCKET", "DIGEST_PROGRESS_BUCKET_REGION", "digest-progress"
        ),
    }


# Every AWS client (django-storages, the flow-log source, STS) uses boto3's default credential chain:
# with USE_IAM=true that finds the instance role; with USE_IAM=false the seed's variables feed it keys
# (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, read by boto3 itself) or a profile of a credentials file.
if os.environ.get("AWS_CREDENTIALS_FILE"):
    os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", os.environ["AWS_CREDENTIALS_FILE"])
if flag_parse(os.environ.get("USE_IAM", "")) is False and os.environ.get("AWS_CREDENTIALS_PROFILE"):
    os.environ.setdefault("AWS_PROFILE", os.environ["AWS_CREDENTIALS_PROFILE"])

STORAGES = storages_from_env(GRAPHERD_ENV, DATA_DIR)


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
    "workers": _int_env("GRAPHERD_WORKERS", 2),
    "timeout": _int_env("GRAPHERD_TASK_TIMEOUT", 600),
    "retry": _int_env("GRAPHERD_TASK_TIMEOUT", 600) + 120,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    "label": "Worker queue",
}

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

LOG_LEVEL = os.environ.get("RUNTIME_LOGGER_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"}
        if os.environ.get("RUNTIME_LOGGER_OUTPUT", "STDOUT").upper() != "NULL"
        else {"class": "logging.NullHandler"},
    },
    "root": {
        "handlers": ["console"],
        "level": {"WARN": "WARNING"}.get(LOG_LEVEL, LOG_LEVEL)
        if LOG_LEVEL in {"DEBUG", "INFO", "WARN", "WARNING", "ERROR"}
        else "INFO",
    },
}
