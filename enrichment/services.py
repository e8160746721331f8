"""Writing enrichment data: imports of AWS documents (files, uploads, refresh) and network groups.

The scoping rule (what an import replaces) is described in `enrichment`'s docstring.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from enrichment.errors import DocumentInvalid, EnrichmentError, RefreshFailed
from enrichment.group_files import network_groups_parse
from enrichment.models import EnrichmentImport, Kind, NetworkGroup
from enrichment.parsers import REGION_PATTERN, ParsedDocument, document_parse
from ops.config import config_get

REFRESH_SOURCE = "refresh"
GLOBAL_SCOPE = "global"
_BATCH = 2000
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class ImportSummary:
    where: str  # the file as given, or "refresh <region>"
    kind: Kind
    entries: int
    scope: str
    replaced: int  # earlier imports of the same kind and scope that this one replaced

    def __str__(self) -> str:
        replaced = (
            f"; replaced {self.replaced} earlier import{'s' if self.replaced != 1 else ''}"
            if self.replaced
            else ""
        )
        plural = "entry" if self.entries == 1 else "entries"
        return f"{self.where}: {self.kind.label}, {self.entries} {plural}, scope {self.scope}{replaced}"


@dataclass(frozen=True)
class GroupsImportSummary:
    where: str
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        groups = "group" if self.created == 1 else "groups"
        return f"{self.where}: {self.created} {groups} created, {self.updated} updated, {self.unchanged} unchanged"


def enrichment_import_file(path: Path, *, account: str = "", region: str = "") -> ImportSummary:
    """Import one AWS JSON file; `account`/`region` set the scope (see `enrichment`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentInvalid(str(path), f"cannot read the file: {error.strerror or error}") from error
    return enrichment_import_upload(data, path.name, account=account, region=region, where=str(path))


def enrichment_import_upload(
    data: bytes, name: str, *, account: str = "", region: str = "", where: str = ""
) -> ImportSummary:
    """Import the content of one AWS JSON file called `name` (the admin's upload, or a file's bytes)."""
    where = where or name
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError; absurd nesting
        raise DocumentInvalid(where, f"not JSON ({error})") from error
    return enrichment_document_store(document, source=name, where=where, account=account, region=region)


def enrichment_document_store(
    document: object, *, source: str, where: str, account: str = "", region: str = ""
) -> ImportSummary:
    """Parse a document and store it as one import, replacing the imports of the same kind and scope,
    in one transaction: nothing is stored when anything fails."""
    account, region = account.strip(), region.strip()
    if account and not _ACCOUNT.fullmatch(account):
        raise EnrichmentError(f"{account!r} is not an AWS account id (12 digits)")
    if region and not REGION_PATTERN.fullmatch(region):
        raise EnrichmentError(f"{region!r} is not an AWS region name (e.g. us-east-1)")
    parsed = document_parse(document, where, region=region)
    accounts, regions = _scope_parts(parsed, account, region, where)
    if parsed.kind == Kind.IP_RANGES:
        scope = GLOBAL_SCOPE
    elif accounts and regions:
        scope = f"{accounts}/{regions}"
    else:
        scope = f"file {source}"
    with transaction.atomic():
        earlier = EnrichmentImport.objects.filter(kind=parsed.kind, scope=scope)
        replaced = earlier.count()
        earlier.delete()  # the entries go with them (a cascade of plain DELETEs: no signals on entries)
        batch = EnrichmentImport.objects.create(
            kind=parsed.kind,
            scope=scope,
            account=accounts,
            region=regions,
            source=source[: EnrichmentImport._meta.get_field("source").max_length or 255],
            entries=len(parsed.entries),
        )
        for entry in parsed.entries:
            entry.enrichment_import = batch
        parsed.model._default_manager.bulk_create(parsed.entries, batch_size=_BATCH)
    return ImportSummary(where, parsed.kind, len(parsed.entries), scope, replaced)


def enrichment_refresh() -> list[ImportSummary]:
    """Read the describe-* documents of every configured region and store each as an import.

    A region's four documents are all read before any is stored, so a failing call (RefreshFailed,
    naming the region and call) leaves that region's earlier imports as they were; regions refreshed
    before it stay refreshed.
    """
    # boto3 loads here: every process imports this module (the admin does), few ever refresh.
    from enrichment.aws import aws_account, aws_region_documents, aws_session

    config = config_get()
    session = aws_session(config)
    regions = list(config.scan_regions) or ([session.region_name] if session.region_name else [])
    if not regions:
        raise RefreshFailed(
            "no region to read: set VPC_FLOW_LOGS_SCAN_REGIONS (or VPC_FLOW_LOGS_BUCKET_REGION, or AWS_DEFAULT_REGION)"
        )
    account = aws_account(session)
    summaries = []
    for region in regions:
        for call, document in aws_region_documents(session, region):
            summaries.append(
                enrichment_document_store(
                    document,
                    source=REFRESH_SOURCE,
                    where=f"refresh {region} {call}",
                    account=account,
                    region=region,
                )
            )
    return summaries


def network_groups_import(path: Path) -> GroupsImportSummary:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentInvalid(str(path), f"cannot read the file: {error.strerror or error}") from error
    return network_groups_import_upload(data, str(path))


def network_groups_import_upload(data: bytes, name: str) -> GroupsImportSummary:
    """Create or update the file's groups by name (groups not in the file are kept), all or nothing.
    A group whose CIDRs and description are unchanged is not saved, so the lookups keep their cache."""
    specs = network_groups_parse(data, name)
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = NetworkGroup.objects.select_for_update().in_bulk(
            [spec.name for spec in specs], field_name="name"
        )
        for spec in specs:
            group = existing.get(spec.name)
            if group is None:
                NetworkGroup.objects.create(
                    name=spec.name, cidrs=spec.cidrs, description=spec.description or ""
                )
                created += 1
                continue
            description = group.description if spec.description is None else spec.description
            if group.cidrs == spec.cidrs and group.description == description:
                unchanged += 1
                continue
            group.cidrs, group.description = spec.cidrs, description
            group.save(update_fields=["cidrs", "description", "updated_at"])
            updated += 1
    return GroupsImportSummary(name, created, updated, unchanged)


def _scope_parts(parsed: ParsedDocument, account: str, region: str, where: str) -> tuple[str, str]:
    """The scope's accounts and regions, "" when unknown for some entry (see `enrichment`)."""
    if region:
        others = sorted(parsed.regions - {region, ""})
        if others:
            raise DocumentInvalid(
                where, f"the entries are in {', '.join(others)}, not in {region} (the region given)"
            )
        regions = region
    else:
        regions = "" if "" in parsed.regions else ",".join(sorted(parsed.regions))
    accounts = account or ("" if "" in parsed.accounts else ",".join(sorted(parsed.accounts)))
    return accounts, regions
