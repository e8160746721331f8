"""What the enrichment imports stored, and the operator's network groups.

Every AWS entry belongs to the `EnrichmentImport` that brought it (a file, or one region of a refresh);
replacing an import deletes its entries with it (see `enrichment` for the scoping rule). Addresses and
CIDRs of AWS entries are kept as space-separated canonical text: searchable in the admin on every
database, and split once when the lookup indexes are built.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from enrichment.cidrs import cidrs_validate


class Kind(models.TextChoices):
    """What an imported file holds, recognised by its top-level keys."""

    NETWORK_INTERFACES = "network_interfaces", "network interfaces"  # describe-network-interfaces
    INSTANCES = "instances", "instances"  # describe-instances
    SUBNETS = "subnets", "subnets"  # describe-subnets
    VPCS = "vpcs", "VPCs"  # describe-vpcs
    IP_RANGES = "ip_ranges", "AWS IP ranges"  # ip-ranges.json


class EnrichmentImport(models.Model):
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Text: a listing of a VPC shared with many accounts names them all in its scope.
    scope = models.TextField(
        help_text="What a later import of the same kind replaces: 'account/region', 'file <name>' or 'global'."
    )
    account = models.TextField(blank=True, help_text="Account ids, comma separated.")
    region = models.TextField(blank=True, help_text="Regions, comma separated.")
    source = models.CharField(max_length=255, help_text="The file's name, or 'refresh'.")
    entries = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-imported_at", "-id")
        indexes = (models.Index(fields=("kind", "scope"), name="enrichment_import_kind_scope"),)
        verbose_name = "import"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.source} ({self.scope})"


class ImportedEntry(models.Model):
    """An entry of an import: gone when its import is replaced or forgotten."""

    enrichment_import = models.ForeignKey(EnrichmentImport, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class NetworkInterface(ImportedEntry):
    eni_id = models.CharField("ENI", max_length=64, db_index=True)
    account = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=32, blank=True)
    subnet_id = models.CharField("subnet", max_length=64, blank=True)
    vpc_id = models.CharField("VPC", max_length=64, blank=True)
    instance_id = models.CharField("instance", max_length=64, blank=True)
    interface_type = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=256, blank=True, help_text="The Name tag.")
    description = models.TextField(blank=True)
    addresses = models.TextField(blank=True, help_text="Private IPv4 and IPv6 addresses, space separated.")

    class Meta:
        verbose_name = "network interface"

    def __str__(self) -> str:
        return f"{self.eni_id} {self.name or self.description}".strip()


class Instance(ImportedEntry):
    instance_id = models.CharField("instance", max_length=64, db_index=True)
    account = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=256, blank=True, help_text="The Name tag.")
    vpc_id = models.CharField("VPC", max_length=64, blank=True)
    subnet_id = models.CharField("subnet", max_length=64, blank=True)
    # [{"eni", "subnet", "vpc", "addresses": [...]}]: describe-instances knows each interface's addresses,
    # so an instance is found by address even without describe-network-interfaces.
    interfaces = models.JSONField(default=list)
    addresses = models.TextField(blank=True, help_text="Private addresses of all its interfaces.")

    def __str__(self) -> str:
        return f"{self.instance_id} {self.name}".strip()


class Subnet(ImportedEntry):
    subnet_id = models.CharField("subnet", max_length=64, db_index=True)
    account = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=32, blank=True)
    vpc_id = models.CharField("VPC", max_length=64, blank=True)
    name = models.CharField(max_length=256, blank=True, help_text="The Name tag.")
    cidrs = models.TextField(blank=True, help_text="IPv4 and IPv6 CIDR blocks, space separated.")

    def __str__(self) -> str:
        return f"{self.subnet_id} {self.name}".strip()


class Vpc(ImportedEntry):
    vpc_id = models.CharField("VPC", max_length=64, db_index=True)
    account = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=256, blank=True, help_text="The Name tag.")
    cidrs = models.TextField(blank=True, help_text="IPv4 and IPv6 CIDR blocks, space separated.")

    class Meta:
        verbose_name = "VPC"

    def __str__(self) -> str:
        return f"{self.vpc_id} {self.name}".strip()


class AwsIpRange(ImportedEntry):
    prefix = models.CharField(max_length=64, db_index=True)
    region = models.CharField(max_length=32, blank=True)
    service = models.CharField(max_length=64)
    network_border_group = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "AWS IP range"

    def __str__(self) -> str:
        return f"{self.prefix} {self.service} {self.region}"


class NetworkGroup(models.Model):
    """A set of CIDRs an operator names ("office", "partner-x"): addresses inside are labelled with it."""

    name = models.CharField(max_length=100, unique=True)
    cidrs = models.JSONField(
        default=list,
        validators=[cidrs_validate],
        help_text="CIDR blocks (IPv4 or IPv6); host bits are cleared: 10.1.2.3/16 is kept as 10.1.0.0/16.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name
