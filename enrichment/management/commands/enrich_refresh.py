"""`manage.py enrich_refresh`: read ENIs, instances, subnets and VPCs from AWS and store them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from enrichment.errors import EnrichmentError
from enrichment.services import enrichment_refresh


class Command(BaseCommand):
    help = (
        "Read describe-network-interfaces, describe-instances, describe-subnets and describe-vpcs "
        "through boto3 for every region of VPC_FLOW_LOGS_SCAN_REGIONS (else the session's region: "
        "VPC_FLOW_LOGS_BUCKET_REGION or AWS_DEFAULT_REGION), assuming VPC_FLOW_LOGS_BUCKET_ROLE when set, "
        "and store each (region, kind) as an import scoped '<account>/<region>' (the account the "
        "credentials belong to): it replaces the previous refresh or import of that scope. "
        "One summary line per region and kind."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summaries = enrichment_refresh()
        except (EnrichmentError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        for summary in summaries:
            self.stdout.write(str(summary))
