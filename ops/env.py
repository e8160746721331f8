"""grapherd's configuration: every environment variable the service reads, read once, with the Go
services' names and units (timeouts in milliseconds).

`config_read` never raises and imports nothing of Django, so `settings.py` can derive DATABASES,
STORAGES, Q_CLUSTER and LOGGING from the same values the rest of the code uses. Bad values become
problems naming the variable (the system checks in `ops.checks` report them) and the default stands in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from ops.env_https import SecureSettings, secure_values
from ops.env_reader import EnvReader, Problem

# Variables with these prefixes belong to grapherd (or the Go services); one it does not read is a typo.
PREFIXES = ("GRAPHERD_", "VPC_", "GRAPH_", "DIGEST_", "DIGESTER_", "RUNTIME_", "STREAM_APPLIANCE_")
# Go service variables accepted and ignored (gunicorn handles connections and signals; the Go README's
# STREAM_APPLIANCE_TOPIC was never used).
IGNORED_PREFIXES = ("RUNTIME_CONNSTATE_", "RUNTIME_SIGNALS_")
IGNORED = ("STREAM_APPLIANCE_TOPIC", "PORT")
# Go variables grapherd does not support: the clients use the process's own credentials.
UNSUPPORTED = (
    "GRAPH_STORAGE_BUCKET_ROLE",
    "GRAPH_PROGRESS_BUCKET_ROLE",
    "DIGEST_STORAGE_BUCKET_ROLE",
    "DIGEST_PROGRESS_BUCKET_ROLE",
)
# Without ALLOWED_HOSTS only local names are served: a production deployment names its hosts.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_SECRET_KEY = "grapherd-embedded-default-not-for-production"  # noqa: S105  (a documented default)
LOG_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING", "WARNING": "WARNING", "ERROR": "ERROR"}
# The Go runtime's README said NULLSTAT while its code accepted NULL; both mean "no stats" here.
STATS_OUTPUTS = {"DATADOG": "DATADOG", "NULL": "NULL", "NULLSTAT": "NULL"}
LOG_OUTPUTS = {"STDOUT": "STDOUT", "NULL": "NULL"}
DIGEST_ENGINES = {"BUILTIN": "builtin", "DUCKDB": "duckdb", "ATHENA": "athena"}
DIGEST_PARTIALS = {"AUTO": "auto", "HOURLY": "hourly", "OFF": "off"}

# Check ids of the rules in this module (the typed reads have theirs in ops.env_reader).
BAD_DATABASE_URL = "grapherd.E008"
MEMORY_DATABASE = "grapherd.E009"
BUCKETS_APART = "grapherd.E010"
NO_CREDENTIALS = "grapherd.E011"
KEY_WITHOUT_SECRET = "grapherd.E012"  # noqa: S105  (a check id, not a secret)
TWO_SOURCES = "grapherd.E013"
ATHENA_WITHOUT_BUCKET = "grapherd.E015"
BAD_BROKER_URL = "grapherd.E017"
SVG_TIMEOUT_TOO_LONG = "grapherd.E018"
LEASE_TOO_LONG = "grapherd.E019"
UNKNOWN_VARIABLE = "grapherd.W001"
UNSUPPORTED_VARIABLE = "grapherd.W002"


@dataclass(frozen=True)
class Config:
    data_dir: Path
    debug: bool = False
    secret_key: str = DEFAULT_SECRET_KEY
    allowed_hosts: tuple[str, ...] = ("*",)
    csrf_trusted_origins: tuple[str, ...] = ()
    secure: SecureSettings = field(default_factory=SecureSettings)
    database_url: str = ""  # empty: SQLite in the data folder
    database_conn_max_age: int = 0
    database_connect_timeout_s: int = 5
    database_statement_timeout_ms: int = 60_000
    static_root: str = ""
    log_level: str = "INFO"
    log_output: str = "STDOUT"
    use_iam: bool = True
    aws_credentials_file: str = ""
    aws_credentials_profile: str = ""
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    require_auth: bool = True
    worker_token: str = ""
    digester_token: str = ""
    max_window_s: float = 7 * 24 * 3600.0
    graph_storage_bucket: str = ""
    graph_storage_region: str = ""
    graph_progress_bucket: str = ""
    graph_progress_region: str = ""
    graph_progress_timeout_ms: int = 900_000
    digest_storage_bucket: str = ""
    digest_storage_region: str = ""
    digest_progress_bucket: str = ""
    digest_progress_region: str = ""
    digest_progress_timeout_ms: int = 900_000
    stream_appliance_endpoint: str = ""
    digester_endpoint: str = ""
    digester_polling_interval_ms: int = 1000
    digester_polling_timeout_ms: int = 600_000
    digest_engine: str = "builtin"
    digest_partials: str = "auto"
    athena_database: str = "default"
    athena_table: str = "vpc_flow_logs"
    athena_workgroup: str = "primary"
    athena_output: str = ""
    athena_region: str = ""
    flow_logs_bucket: str = ""
    flow_logs_region: str = ""
    flow_logs_role: str = ""
    flow_logs_prefix: str = ""
    flow_logs_path: Path = field(default_factory=Path)
    scan_accounts: tuple[str, ...] = ()
    scan_regions: tuple[str, ...] = ()
    max_bytes_prefetch: int = 150_000_000
    max_concurrent_prefetch: int = 2
    max_attempts: int = 3
    task_timeout_s: int = 600
    workers: int = 2
    broker_url: str = ""  # empty: the database is the queue (django-q2's ORM broker)
    svg_timeout_s: float = 60.0
    svg_max_edges: int = 20_000
    job_lease_s: int = 30
    # Test-only: job stages ("listing,digesting,dot,connections,svg") at which a job stops and waits, so
    # that the fault tests can kill a worker at a known point (jobs.stage_pause).
    test_pause_at: str = ""
    delivery_delay_s: float = 900.0  # AWS delivers flow logs up to ~15 min late: newer windows are incomplete
    prune_after: timedelta | None = None  # GRAPHERD_PRUNE_AFTER: finished jobs older than this are removed
    stats_output: str = "NULL"  # RUNTIME_STATS_OUTPUT: DATADOG, or NULL (NULLSTAT too) for none
    stats_host: str = "localhost"
    stats_port: int = 8125
    stats_tags: tuple[str, ...] = ()
    stats_flush_s: float = 10.0
    stats_packet_size: int = 32768


def data_dir_read(env: Mapping[str, str], base_dir: Path) -> Path:
    """GRAPHERD_DATA_DIR, else `var/` beside the code: the SQLite database and the local folders."""
    return Path(env.get("GRAPHERD_DATA_DIR", "").strip() or base_dir / "var").resolve()


def config_load(env: Mapping[str, str], data_dir: Path) -> tuple[Config, list[str]]:
    """The configuration and the messages of its errors (warnings left out)."""
    config, problems = config_read(env, data_dir)
    return config, [problem.message for problem in problems if not problem.is_warning]


def config_read(env: Mapping[str, str], data_dir: Path) -> tuple[Config, list[Problem]]:
    r = EnvReader(env)
    r.raw("GRAPHERD_DATA_DIR")  # read by data_dir_read; known here
    config = Config(
        data_dir=data_dir,
        **_django_values(r),
        **_service_values(r, data_dir),
        **_stats_values(r),
        **_engine_values(r),
    )
    _check_database_url(r, config.database_url)
    _check_consistency(r, config)
    _check_unknown(r)
    return config, r.problems


def _django_values(r: EnvReader) -> dict[str, Any]:
    return {
        "debug": r.flag("DEBUG", False),
        "secret_key": r.text("SECRET_KEY", DEFAULT_SECRET_KEY),
        "allowed_hosts": r.items("ALLOWED_HOSTS") or LOCAL_HOSTS,
        "csrf_trusted_origins": r.items("CSRF_TRUSTED_ORIGINS"),
        "secure": secure_values(r),
        "database_url": r.text("DATABASE_URL"),
        "database_conn_max_age": r.integer("DATABASE_CONN_MAX_AGE", 0, minimum=0, unit="seconds"),
        # libpq refuses connect timeouts under 2 s; a hung database must not hold a request for long.
        "database_connect_timeout_s": r.integer("DATABASE_CONNECT_TIMEOUT", 5, minimum=2, unit="seconds"),
        "database_statement_timeout_ms": r.integer(
            "DATABASE_STATEMENT_TIMEOUT", 60_000, minimum=0, unit="milliseconds"
        ),
        "static_root": r.text("STATIC_ROOT"),
        "log_level": r.choice("RUNTIME_LOGGER_LEVEL", "INFO", LOG_LEVELS),
        "log_output": r.choice("RUNTIME_LOGGER_OUTPUT", "STDOUT", LOG_OUTPUTS),
        "use_iam": r.flag("USE_IAM", True),
        "aws_credentials_file": r.text("AWS_CREDENTIALS_FILE"),
        "aws_credentials_profile": r.text("AWS_CREDENTIALS_PROFILE"),
    }


def _auth_values(r: EnvReader) -> dict[str, Any]:
    return {
        "require_auth": r.flag("GRAPHERD_REQUIRE_AUTH", True),
        "worker_token": r.text("GRAPHERD_WORKER_TOKEN"),
        "digester_token": r.text("DIGESTER_TOKEN"),
    }


def _service_values(r: EnvReader, data_dir: Path) -> dict[str, Any]:
    host, port = r.address("RUNTIME_HTTPSERVER_ADDRESS", ":8080")
    return {
        "http_host": host,
        "http_port": port,
        **_auth_values(r),
        "max_window_s": r.duration("GRAPHERD_MAX_WINDOW", 7 * 24 * 3600.0, minimum=60.0),
        "graph_storage_bucket": r.text("GRAPH_STORAGE_BUCKET"),
        "graph_storage_region": r.text("GRAPH_STORAGE_BUCKET_REGION"),
        "graph_progress_bucket": r.text("GRAPH_PROGRESS_BUCKET"),
        "graph_progress_region": r.text("GRAPH_PROGRESS_BUCKET_REGION"),
        "graph_progress_timeout_ms": r.integer("GRAPH_PROGRESS_TIMEOUT", 900_000, unit="milliseconds"),
        "digest_storage_bucket": r.text("DIGEST_STORAGE_BUCKET"),
        "digest_storage_region": r.text("DIGEST_STORAGE_BUCKET_REGION"),
        "digest_progress_bucket": r.text("DIGEST_PROGRESS_BUCKET"),
        "digest_progress_region": r.text("DIGEST_PROGRESS_BUCKET_REGION"),
        "digest_progress_timeout_ms": r.integer("DIGEST_PROGRESS_TIMEOUT", 900_000, unit="milliseconds"),
        "stream_appliance_endpoint": r.url("STREAM_APPLIANCE_ENDPOINT"),
        "digester_endpoint": r.url("DIGESTER_ENDPOINT"),
        "digester_polling_interval_ms": r.integer("DIGESTER_POLLING_INTERVAL", 1000, unit="milliseconds"),
        "digester_polling_timeout_ms": r.integer("DIGESTER_POLLING_TIMEOUT", 600_000, unit="milliseconds"),
        "flow_logs_bucket": r.text("VPC_FLOW_LOGS_BUCKET"),
        "flow_logs_region": r.text("VPC_FLOW_LOGS_BUCKET_REGION"),
        "flow_logs_role": r.text("VPC_FLOW_LOGS_BUCKET_ROLE"),
        "flow_logs_prefix": r.text("VPC_FLOW_LOGS_PREFIX").strip("/"),
        "flow_logs_path": Path(r.text("VPC_FLOW_LOGS_PATH") or data_dir / "flowlogs"),
        "scan_accounts": r.items("VPC_FLOW_LOGS_SCAN_ACCOUNTS"),
        "scan_regions": r.items("VPC_FLOW_LOGS_SCAN_REGIONS"),
        "max_bytes_prefetch": r.integer("VPC_MAX_BYTES_PREFETCH", 150_000_000, minimum=1, unit="bytes"),
        "max_concurrent_prefetch": r.integer("VPC_MAX_CONCURRENT_PREFETCH", 2, minimum=1),
        "max_attempts": r.integer("GRAPHERD_MAX_ATTEMPTS", 3, minimum=1),
        "task_timeout_s": r.integer("GRAPHERD_TASK_TIMEOUT", 600, minimum=1, unit="seconds"),
        "workers": r.integer("GRAPHERD_WORKERS", 2, minimum=1),
        "broker_url": _broker_url(r),
        "svg_timeout_s": r.integer("GRAPHERD_SVG_TIMEOUT", 60_000, minimum=1, unit="milliseconds") / 1000,
        "svg_max_edges": r.integer("GRAPHERD_SVG_MAX_EDGES", 20_000, minimum=1),
        "job_lease_s": r.integer("GRAPHERD_JOB_LEASE", 30, minimum=3, unit="seconds"),
        "test_pause_at": r.text("GRAPHERD_TEST_PAUSE_AT"),
        "delivery_delay_s": r.duration("GRAPHERD_DELIVERY_DELAY", 900.0),
        "prune_after": r.age("GRAPHERD_PRUNE_AFTER"),
    }


def _stats_values(r: EnvReader) -> dict[str, Any]:
    # Metrics are off unless configured: the Go default (DATADOG to localhost:8125) filled the log with
    # send errors wherever no agent listens. Naming an agent address alone is enough to turn them on.
    configured = bool(r.raw("RUNTIME_STATS_DATADOG_ADDRESS"))
    host, port = r.address("RUNTIME_STATS_DATADOG_ADDRESS", "localhost:8125")
    return {
        "stats_output": r.choice("RUNTIME_STATS_OUTPUT", "DATADOG" if configured else "NULL", STATS_OUTPUTS),
        "stats_host": host,
        "stats_port": port,
        "stats_tags": r.items("RUNTIME_STATS_DATADOG_TAGS", ", "),
        "stats_flush_s": r.duration("RUNTIME_STATS_DATADOG_FLUSHINTERVAL", 10.0),
        "stats_packet_size": r.integer("RUNTIME_STATS_DATADOG_PACKETSIZE", 32768, minimum=512, unit="bytes"),
    }


def _broker_url(r: EnvReader) -> str:
    """GRAPHERD_BROKER_URL: a Redis URL for django-q2's Redis broker, else the database is the queue."""
    url = r.text("GRAPHERD_BROKER_URL")
    if url and (urlsplit(url).scheme not in {"redis", "rediss", "unix"}):
        message = f"GRAPHERD_BROKER_URL={url!r} is not a Redis URL like redis://127.0.0.1:6379/0."
        r.problem(BAD_BROKER_URL, message)
        return ""
    return url


def _engine_values(r: EnvReader) -> dict[str, Any]:
    return {
        "digest_engine": r.choice("GRAPHERD_DIGEST_ENGINE", "BUILTIN", DIGEST_ENGINES),
        "digest_partials": r.choice("GRAPHERD_DIGEST_PARTIALS", "AUTO", DIGEST_PARTIALS),
        "athena_database": r.text("GRAPHERD_ATHENA_DATABASE", "default"),
        "athena_table": r.text("GRAPHERD_ATHENA_TABLE", "vpc_flow_logs"),
        "athena_workgroup": r.text("GRAPHERD_ATHENA_WORKGROUP", "primary"),
        "athena_output": r.text("GRAPHERD_ATHENA_OUTPUT_LOCATION"),
        "athena_region": r.text("GRAPHERD_ATHENA_REGION"),
    }


def _check_database_url(r: EnvReader, url: str) -> None:
    if not url:
        return
    try:
        parsed = dj_database_url.parse(url)
    except Exception as error:
        message = f"DATABASE_URL is not a database URL like postgres://user@host:5432/grapherd ({error})."
        r.problem(BAD_DATABASE_URL, message)
        return
    if str(parsed.get("ENGINE", "")).endswith("sqlite3") and parsed.get("NAME") in ("", ":memory:"):
        message = (
            "DATABASE_URL names an in-memory SQLite database, which the web server and worker cannot share."
        )
        r.problem(MEMORY_DATABASE, message)


def _check_consistency(r: EnvReader, config: Config) -> None:
    pairs = [
        (
            "GRAPH_STORAGE_BUCKET",
            config.graph_storage_bucket,
            "GRAPH_PROGRESS_BUCKET",
            config.graph_progress_bucket,
        ),
        (
            "DIGEST_STORAGE_BUCKET",
            config.digest_storage_bucket,
            "DIGEST_PROGRESS_BUCKET",
            config.digest_progress_bucket,
        ),
    ]
    for first, first_value, second, second_value in pairs:
        if bool(first_value) != bool(second_value):
            message = (
                f"{first} and {second} go together: set both to use S3, or neither to use local folders."
            )
            r.problem(BUCKETS_APART, message)
    has_keys = r.raw("AWS_ACCESS_KEY_ID")
    uses_s3 = any([config.graph_storage_bucket, config.digest_storage_bucket, config.flow_logs_bucket])
    if uses_s3 and not config.use_iam and not (has_keys or config.aws_credentials_profile):
        message = (
            "USE_IAM=false needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_CREDENTIALS_PROFILE."
        )
        r.problem(NO_CREDENTIALS, message)
    if has_keys and not r.raw("AWS_SECRET_ACCESS_KEY"):
        r.problem(KEY_WITHOUT_SECRET, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not.")
    if config.flow_logs_bucket and r.raw("VPC_FLOW_LOGS_PATH"):
        r.problem(TWO_SOURCES, "Set VPC_FLOW_LOGS_BUCKET or VPC_FLOW_LOGS_PATH, not both.")
    if config.digest_engine == "athena" and not config.flow_logs_bucket:
        message = (
            "GRAPHERD_DIGEST_ENGINE=athena reads the flow logs where Athena can: set VPC_FLOW_LOGS_BUCKET "
            "(a local folder needs builtin or duckdb)."
        )
        r.problem(ATHENA_WITHOUT_BUCKET, message)
    _check_timeouts(r, config)


def _check_timeouts(r: EnvReader, config: Config) -> None:
    """django-q2 stops a task at GRAPHERD_TASK_TIMEOUT: the SVG render, which comes after the digest and
    the DOT, must be able to give up before that, and a lease must expire well within it."""
    if config.svg_timeout_s >= config.task_timeout_s:
        message = (
            f"GRAPHERD_SVG_TIMEOUT ({config.svg_timeout_s * 1000:.0f} ms) must be shorter than "
            f"GRAPHERD_TASK_TIMEOUT ({config.task_timeout_s} s): the SVG render runs inside the graph task."
        )
        r.problem(SVG_TIMEOUT_TOO_LONG, message)
    if config.job_lease_s >= config.task_timeout_s:
        message = (
            f"GRAPHERD_JOB_LEASE ({config.job_lease_s} s) must be shorter than GRAPHERD_TASK_TIMEOUT "
            f"({config.task_timeout_s} s), or a dead worker's job waits longer than the task timeout."
        )
        r.problem(LEASE_TOO_LONG, message)


def _check_unknown(r: EnvReader) -> None:
    """A variable with one of grapherd's prefixes that nothing reads is most likely misspelt."""
    known = sorted(name for name in r.names if name.startswith(PREFIXES))
    for name in sorted(r.env):
        if (
            not name.startswith(PREFIXES)
            or name in r.names
            or name in IGNORED
            or name.startswith(IGNORED_PREFIXES)
        ):
            continue
        if name in UNSUPPORTED:
            message = (
                f"{name} is not supported: grapherd reaches that bucket with its own credentials (USE_IAM)."
            )
            r.problem(UNSUPPORTED_VARIABLE, message)
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "."
        r.problem(UNKNOWN_VARIABLE, f"{name} is not a grapherd variable and is ignored{hint}")
