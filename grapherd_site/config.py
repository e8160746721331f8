"""grapherd's configuration, parsed from the environment with the seed service's names and units.

`config_load` never raises: it returns the parsed values and a list of problems, each naming the
variable. The system checks (`grapherd_site.checks`) report the problems; `config_get` refuses to hand
out a configuration that has any, so a bad value stops the service with a clear message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class Config:
    data_dir: Path
    use_iam: bool = True
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    require_auth: bool = False
    graph_storage_bucket: str = ""
    graph_progress_bucket: str = ""
    graph_progress_timeout_ms: int = 900_000
    digest_storage_bucket: str = ""
    digest_progress_bucket: str = ""
    digest_progress_timeout_ms: int = 900_000
    stream_appliance_endpoint: str = ""
    digester_endpoint: str = ""
    digester_polling_interval_ms: int = 1000
    digester_polling_timeout_ms: int = 600_000
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
    svg_timeout_s: float = 60.0
    svg_max_edges: int = 20_000
    stats_output: str = "DATADOG"  # RUNTIME_STATS_OUTPUT: DATADOG, or NULL (NULLSTAT too) for none
    stats_host: str = "localhost"
    stats_port: int = 8125
    stats_tags: tuple[str, ...] = ()
    stats_flush_s: float = 10.0
    stats_packet_size: int = 32768


# The Go runtime's README said NULLSTAT while its code accepted NULL; both mean "no stats" here.
_STATS_OUTPUTS = {"DATADOG": "DATADOG", "NULL": "NULL", "NULLSTAT": "NULL"}


def flag_parse(raw: str) -> bool | None:
    """Go's strconv.ParseBool plus yes/no/on/off; None when empty or not a boolean."""
    value = raw.strip()
    if value in _TRUE or value.lower() in {"yes", "on"}:
        return True
    if value in _FALSE or value.lower() in {"no", "off"}:
        return False
    return None


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, "").strip() or default

    def flag(self, name: str, default: bool) -> bool:
        raw = self.env.get(name, "").strip()
        value = flag_parse(raw)
        if value is None:
            if raw:
                self.errors.append(f"{name}={raw!r} is not a boolean; use true or false.")
            return default
        return value

    def integer(self, name: str, default: int, *, minimum: int | None = None, unit: str = "") -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors.append(f"{name}={raw!r} is not a whole number{f' of {unit}' if unit else ''}.")
            return default
        if minimum is not None and value < minimum:
            self.errors.append(f"{name}={value} must be at least {minimum}.")
            return default
        return value

    def url(self, name: str) -> str:
        raw = self.text(name)
        if raw:
            parts = urlsplit(raw)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                self.errors.append(
                    f"{name}={raw!r} is not an http(s) URL, e.g. http://digesterd.internal:8080/."
                )
        return raw

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.env.get(name, "").split(",") if part.strip())

    def duration(self, name: str, default: float) -> float:
        """A Go duration such as `10s`, `500ms` or `1m30s`, in seconds."""
        raw = self.text(name)
        if not raw:
            return default
        parts = _GO_DURATION.findall(raw)
        if not parts or "".join(number + unit for number, unit in parts) != raw:
            self.errors.append(f"{name}={raw!r} is not a duration like 10s, 500ms or 1m30s.")
            return default
        return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)

    def choice(self, name: str, default: str, choices: dict[str, str]) -> str:
        raw = self.text(name, default).upper()
        if raw not in choices:
            self.errors.append(f"{name}={raw!r} must be one of {', '.join(sorted(choices))}.")
            return default
        return choices[raw]

    def address(self, name: str, default: str = ":8080") -> tuple[str, int]:
        raw = self.text(name, default)
        host, colon, port = raw.rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) < 65536:
            self.errors.append(f"{name}={raw!r} is not a host:port address like :8080 or 127.0.0.1:8080.")
            return "0.0.0.0", 8080
        return host.strip("[]") or "0.0.0.0", int(port)


def stale_after(config: Config) -> timedelta:
    """A RUNNING job older than this was abandoned by a dead worker (django-q2 kills tasks at the timeout)."""
    return timedelta(seconds=config.task_timeout_s + 60)


def config_load(env: Mapping[str, str], data_dir: Path) -> tuple[Config, list[str]]:
    r = _Reader(env)
    host, port = r.address("RUNTIME_HTTPSERVER_ADDRESS")
    stats_host, stats_port = r.address("RUNTIME_STATS_DATADOG_ADDRESS", "localhost:8125")
    config = Config(
        data_dir=data_dir,
        use_iam=r.flag("USE_IAM", True),
        http_host=host,
        http_port=port,
        require_auth=r.flag("GRAPHERD_REQUIRE_AUTH", False),
        graph_storage_bucket=r.text("GRAPH_STORAGE_BUCKET"),
        graph_progress_bucket=r.text("GRAPH_PROGRESS_BUCKET"),
        graph_progress_timeout_ms=r.integer("GRAPH_PROGRESS_TIMEOUT", 900_000, unit="milliseconds"),
        digest_storage_bucket=r.text("DIGEST_STORAGE_BUCKET"),
        digest_progress_bucket=r.text("DIGEST_PROGRESS_BUCKET"),
        digest_progress_timeout_ms=r.integer("DIGEST_PROGRESS_TIMEOUT", 900_000, unit="milliseconds"),
        stream_appliance_endpoint=r.url("STREAM_APPLIANCE_ENDPOINT"),
        digester_endpoint=r.url("DIGESTER_ENDPOINT"),
        digester_polling_interval_ms=r.integer("DIGESTER_POLLING_INTERVAL", 1000, unit="milliseconds"),
        digester_polling_timeout_ms=r.integer("DIGESTER_POLLING_TIMEOUT", 600_000, unit="milliseconds"),
        flow_logs_bucket=r.text("VPC_FLOW_LOGS_BUCKET"),
        flow_logs_region=r.text("VPC_FLOW_LOGS_BUCKET_REGION"),
        flow_logs_role=r.text("VPC_FLOW_LOGS_BUCKET_ROLE"),
        flow_logs_prefix=r.text("VPC_FLOW_LOGS_PREFIX").strip("/"),
        flow_logs_path=Path(r.text("VPC_FLOW_LOGS_PATH") or data_dir / "flowlogs"),
        scan_accounts=r.items("VPC_FLOW_LOGS_SCAN_ACCOUNTS"),
        scan_regions=r.items("VPC_FLOW_LOGS_SCAN_REGIONS"),
        max_bytes_prefetch=r.integer("VPC_MAX_BYTES_PREFETCH", 150_000_000, minimum=1, unit="bytes"),
        max_concurrent_prefetch=r.integer("VPC_MAX_CONCURRENT_PREFETCH", 2, minimum=1),
        max_attempts=r.integer("GRAPHERD_MAX_ATTEMPTS", 3, minimum=1),
        task_timeout_s=r.integer("GRAPHERD_TASK_TIMEOUT", 600, minimum=1, unit="seconds"),
        workers=r.integer("GRAPHERD_WORKERS", 2, minimum=1),
        svg_timeout_s=r.integer("GRAPHERD_SVG_TIMEOUT", 60_000, minimum=1, unit="milliseconds") / 1000,
        svg_max_edges=r.integer("GRAPHERD_SVG_MAX_EDGES", 20_000, minimum=1),
        stats_output=r.choice("RUNTIME_STATS_OUTPUT", "DATADOG", _STATS_OUTPUTS),
        stats_host=stats_host,
        stats_port=stats_port,
        stats_tags=tuple(r.text("RUNTIME_STATS_DATADOG_TAGS").replace(",", " ").split()),
        stats_flush_s=r.duration("RUNTIME_STATS_DATADOG_FLUSHINTERVAL", 10.0),
        stats_packet_size=r.integer("RUNTIME_STATS_DATADOG_PACKETSIZE", 32768, minimum=512, unit="bytes"),
    )
    r.integer("DATABASE_CONN_MAX_AGE", 0, minimum=0, unit="seconds")
    _check_database_url(env, r.errors)
    _check_consistency(config, env, r.errors)
    return config, r.errors


def _check_database_url(env: Mapping[str, str], errors: list[str]) -> None:
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return
    try:
        parsed = dj_database_url.parse(url)
    except Exception as error:
        errors.append(
            f"DATABASE_URL is not a database URL like postgres://user@host:5432/grapherd ({error})."
        )
        return
    if str(parsed.get("ENGINE", "")).endswith("sqlite3") and parsed.get("NAME") in ("", ":memory:"):
        errors.append(
            "DATABASE_URL names an in-memory SQLite database, which the web server and worker cannot share."
        )


def _check_consistency(config: Config, env: Mapping[str, str], errors: list[str]) -> None:
    pairs = [
        ("GRAPH_STORAGE_BUCKET", "GRAPH_PROGRESS_BUCKET"),
        ("DIGEST_STORAGE_BUCKET", "DIGEST_PROGRESS_BUCKET"),
    ]
    for first, second in pairs:
        if bool(env.get(first, "").strip()) != bool(env.get(second, "").strip()):
            errors.append(
                f"{first} and {second} go together: set both to use S3, or neither to use local folders."
            )
    if not config.use_iam and not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_CREDENTIALS_PROFILE")):
        uses_s3 = any([config.graph_storage_bucket, config.digest_storage_bucket, config.flow_logs_bucket])
        if uses_s3:
            errors.append(
                "USE_IAM=false needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_CREDENTIALS_PROFILE."
            )
    if env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_SECRET_ACCESS_KEY"):
        errors.append("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not.")
    if config.flow_logs_bucket and env.get("VPC_FLOW_LOGS_PATH"):
        errors.append("Set VPC_FLOW_LOGS_BUCKET or VPC_FLOW_LOGS_PATH, not both.")


@functools.cache
def _cached(data_dir: str) -> tuple[Config, tuple[str, ...]]:
    config, errors = config_load(settings.GRAPHERD_ENV, Path(data_dir))
    return config, tuple(errors)


def config_errors() -> list[str]:
    return list(_cached(str(settings.DATA_DIR))[1])


def config_get() -> Config:
    config, errors = _cached(str(settings.DATA_DIR))
    if errors:
        raise ImproperlyConfigured("; ".join(errors))
    return config


def config_reset() -> None:
    """Forget the parsed configuration (tests change the environment)."""
    _cached.cache_clear()
