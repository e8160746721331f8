"""Flow logs in an S3 bucket, in any of the AWS delivery layouts (see `layout`).

Listing only touches the prefixes the window needs: a few delimiter listings find the accounts,
organisation segments and regions (unless configured), then each account/region lists the day
prefixes the file window covers, and for hourly layouts only the hour prefixes it covers.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, IncompleteReadError, ResponseStreamingError

from digests.engine.objects import FlowLogReadError, FlowLogRef
from digests.sources.delivery import (
    FileWindow,
    account_parse,
    account_segment,
    day_segment,
    file_window,
    hour_segment,
    is_org_segment,
    name_parse,
    region_parse,
    region_segment,
    root_prefix,
    service_segment,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import ObjectTypeDef

log = logging.getLogger(__name__)

ROLE_SESSION_NAME = "grapherd"
DEFAULT_PAGE_SIZE = 1000  # the ListObjectsV2 maximum
DEFAULT_MAX_CONNECTIONS = 32  # above botocore's 10, so a wide prefetch does not queue on the pool
# Requests are retried by botocore (standard mode); `read` also retries the body stream, which it does not.
ATTEMPTS = 3
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_DENIED_CODES = frozenset({"AccessDenied", "Forbidden", "403", "AllAccessDisabled"})


@dataclass(frozen=True)
class RegionPrefix:
    """Where one account's flow logs for one region are stored."""

    account: str
    region: str
    prefix: str  # ends with "/"
    hive: bool
    guessed: bool = False  # spelled from the configuration because AWSLogs/ could not be listed


class _AccountPrefix(NamedTuple):
    account: str
    prefix: str  # ends with "/"
    hive: bool
    guessed: bool


@dataclass
class _Level:
    """One delimiter listing: the objects directly under a prefix and its sub-prefixes."""

    objects: list[ObjectTypeDef] = field(default_factory=list)
    subdirs: list[str] = field(default_factory=list)


class S3ListError(FlowLogReadError):
    """Listing a prefix failed; `code` is the S3 error code ("" for connection errors)."""

    def __init__(self, key: str, reason: str, code: str) -> None:
        super().__init__(key, reason)
        self.code = code


class S3Source:
    """Lists and fetches flow logs from `bucket`; `read` is thread-safe (boto3 clients are).

    `accounts`/`regions` select every listed entry (empty: discover them from the bucket). Entries are
    stripped of whitespace and empty ones dropped. `skipped_keys` holds the keys the last `list` call
    passed over because their names are not AWS flow-log names.
    """

    skipped_keys: builtins.list[str]
    listed_prefixes: builtins.list[str]

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        role_arn: str | None = None,
        prefix: str = "",
        accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
        client: S3Client | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.accounts = _entries(accounts)
        self.regions = _entries(regions)
        self.page_size = max(1, min(page_size, DEFAULT_PAGE_SIZE))
        self.skipped_keys = []
        self.listed_prefixes = []
        self._region_name = region or None
        self._role_arn = role_arn or None
        self._max_connections = max_connections
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> S3Client:
        """Made on first use, so a bad role surfaces from `list` as a FlowLogReadError."""
        with self._client_lock:
            if self._client is None:
                self._client = s3_client_make(self._region_name, self._role_arn, self._max_connections)
            return self._client

    def list(self, start: datetime, stop: datetime) -> Iterator[FlowLogRef]:
        """Does every listing call before returning, so `skipped_keys` is complete when it returns."""
        self.skipped_keys = []
        self.listed_prefixes = [f"s3://{self.bucket}/{root_prefix(self.prefix)}"]
        window = file_window(start, stop)
        if window is None:
            return iter(())
        refs: dict[str, FlowLogRef] = {}
        wheres = self.region_prefixes()
        if wheres:  # else no account or region was found under the root: name the root
            self.listed_prefixes = [f"s3://{self.bucket}/{where.prefix}" for where in wheres]
        for where in wheres:
            for day in window.days():
                refs.update((ref.key, ref) for ref in self._day_refs(where, day, window))
        if self.skipped_keys:
            log.warning(
                "skipped %d S3 keys whose names are not flow-log names, e.g. %s",
                len(self.skipped_keys),
                self.skipped_keys[0],
            )
        return iter(sorted(refs.values(), key=lambda ref: ref.key))

    def read(self, ref: FlowLogRef) -> bytes:
        attempt = 1
        while True:
            try:
                return self._get(ref.key)
            except (ResponseStreamingError, IncompleteReadError) as error:
                if attempt >= ATTEMPTS:
                    raise FlowLogReadError(ref.key, f"download interrupted: {error}") from error
                attempt += 1

    def region_prefixes(self) -> builtins.list[RegionPrefix]:
        """Every account/region to scan, from the configuration or discovered by delimiter listings."""
        found: builtins.list[RegionPrefix] = []
        for where in self._account_prefixes():
            service = where.prefix + service_segment(where.hive)
            for region in self._regions_under(service, where.hive, where.guessed):
                prefix = service + region_segment(region, where.hive)
                found.append(RegionPrefix(where.account, region, prefix, where.hive, where.guessed))
        return found

    def _get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            raise FlowLogReadError(key, _client_error_reason(error)) from error
        except (ResponseStreamingError, IncompleteReadError):
            raise
        except BotoCoreError as error:
            raise FlowLogReadError(key, str(error)) from error

    def _account_prefixes(self) -> builtins.list[_AccountPrefix]:
        root = root_prefix(self.prefix)
        try:
            entries = self._level(root).subdirs
        except S3ListError as error:
            if not (self.accounts and error.code in _DENIED_CODES):
                raise
            # The Go service listed only `AWSLogs/<account>/...`, so a role may be allowed no more than
            # that: try both spellings of each configured account, and treat a denied one as empty.
            log.warning("cannot list %s (%s); trying the configured accounts directly", root, error.code)
            return [
                _AccountPrefix(account, root + account_segment(account, hive), hive, guessed=True)
                for account in self.accounts
                for hive in (False, True)
            ]
        found = self._accounts_in(root, entries)
        for org in (entry for entry in entries if is_org_segment(entry[len(root) :])):
            found += self._accounts_in(org, self._level(org).subdirs)
        missing = set(self.accounts) - {where.account for where in found}
        if missing:
            log.warning("no flow logs under s3://%s/%s for accounts %s", self.bucket, root, sorted(missing))
        return found

    def _accounts_in(self, parent: str, entries: builtins.list[str]) -> builtins.list[_AccountPrefix]:
        found = []
        for entry in entries:
            parsed = account_parse(entry[len(parent) :])
            if parsed and (not self.accounts or parsed[0] in self.accounts):
                found.append(_AccountPrefix(parsed[0], entry, parsed[1], guessed=False))
        return found

    def _regions_under(self, service_prefix: str, hive: bool, guessed: bool) -> builtins.list[str]:
        if self.regions:
            return builtins.list(self.regions)
        subdirs = self._level(service_prefix, tolerate_denied=guessed).subdirs
        return sorted({r for p in subdirs if (r := region_parse(p[len(service_prefix) :], hive))})

    def _day_refs(self, where: RegionPrefix, day: date, window: FileWindow) -> builtins.list[FlowLogRef]:
        """Files of one day: directly under the day prefix, and under the hour prefixes the window needs.

        Hourly delivery shows up as hour folders in the day listing; a day can hold both when a daily
        and an hourly flow log share the bucket.
        """
        day_prefix = where.prefix + day_segment(day, where.hive)
        level = self._level(day_prefix, tolerate_denied=where.guessed)
        refs = self._select(level.objects, window)
        wanted = {day_prefix + hour_segment(hour, where.hive) for hour in window.hours(day)}
        for hour_prefix in level.subdirs:
            if hour_prefix in wanted:
                hour_level = self._level(hour_prefix, tolerate_denied=where.guessed)
                refs += self._select(hour_level.objects, window)
        return refs

    def _select(self, objects: builtins.list[ObjectTypeDef], window: FileWindow) -> builtins.list[FlowLogRef]:
        refs = []
        for item in objects:
            key, size = item.get("Key", ""), item.get("Size", 0)
            if not key or size == 0:
                continue  # "folder" placeholders and empty objects hold no records
            parsed = name_parse(key.rsplit("/", 1)[-1])
            if parsed is None:
                self.skipped_keys.append(key)
            elif window.contains(parsed.timestamp):
                refs.append(FlowLogRef(key, size, parsed.timestamp))
        return refs

    def _level(self, prefix: str, tolerate_denied: bool = False) -> _Level:
        try:
            return self._level_list(prefix)
        except S3ListError as error:
            if not (tolerate_denied and error.code in _DENIED_CODES):
                raise
            log.info("access denied listing s3://%s/%s; treating it as empty", self.bucket, prefix)
            return _Level()

    def _level_list(self, prefix: str) -> _Level:
        level = _Level()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=prefix,
            Delimiter="/",
            PaginationConfig={"PageSize": self.page_size},
        )
        try:
            for page in pages:
                level.objects += page.get("Contents", [])
                level.subdirs += [p["Prefix"] for p in page.get("CommonPrefixes", []) if "Prefix" in p]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise S3ListError(f"s3://{self.bucket}/{prefix}", _client_error_reason(error), code) from error
        except BotoCoreError as error:
            raise S3ListError(f"s3://{self.bucket}/{prefix}", str(error), "") from error
        return level


def s3_client_make(
    region: str | None = None,
    role_arn: str | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> S3Client:
    """An S3 client with standard-mode retries (3 attempts); endpoints follow AWS_ENDPOINT_URL[_S3]."""
    session = assumed_role_session(role_arn, region) if role_arn else boto3.Session(region_name=region)
    retries: Any = {"total_max_attempts": ATTEMPTS, "mode": "standard"}
    config = Config(retries=retries, max_pool_connections=max_connections)
    return session.client("s3", config=config)


def assumed_role_session(role_arn: str, region: str | None = None) -> boto3.Session:
    """A session whose credentials come from STS AssumeRole and are renewed before they expire."""
    sts: Any = boto3.Session(region_name=region).client("sts")

    def fetch() -> dict[str, str]:
        try:
            response = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)
        except (ClientError, BotoCoreError) as error:
            raise FlowLogReadError(role_arn, f"cannot assume role: {error}") from error
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    core.register_component("credential_provider", CredentialResolver([_FixedProvider(credentials)]))
    return boto3.Session(botocore_session=core, region_name=region)


class _FixedProvider(CredentialProvider):
    METHOD = "sts-assume-role"
    CANONICAL_NAME = "grapherd-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


def _entries(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(value.strip() for value in values if value.strip())


def _client_error_reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code, message = details.get("Code", ""), details.get("Message", "")
    if code in _NOT_FOUND_CODES:
        return f"object not found ({code}; removed since listing?)"
    if code in _DENIED_CODES:
        return f"access denied ({code})"
    return f"{code}: {message}" if code and message else code or message or str(error)
