"""Enrichment: what grapherd knows about an address beyond the flow logs.

Sources, each stored as an *import* (`EnrichmentImport`) with its entries and its import time:

- `manage.py enrich_import FILE…` (or the admin's upload page) reads the JSON the AWS CLI prints for
  `aws ec2 describe-network-interfaces`, `describe-instances`, `describe-subnets`, `describe-vpcs`, and
  AWS's published ip-ranges.json; the kind is recognised by the content's top-level keys. Each file is
  one transaction: a file that is not JSON, is none of these kinds or has a malformed entry stores
  nothing and fails with an error naming it.
- `manage.py enrich_refresh` reads the four describe-* calls through boto3 (the flow-log bucket's role,
  `VPC_FLOW_LOGS_BUCKET_ROLE`, when set) for every region of `VPC_FLOW_LOGS_SCAN_REGIONS`, else the
  session's region, and stores each (region, kind) exactly as an import of the CLI's output would be.
- Network groups (`NetworkGroup`): named CIDR sets an operator edits in the admin or imports with
  `manage.py network_groups_import FILE` (JSON or CSV; updates groups by name).

Scoping rule: every import has a *scope*, and an import replaces the earlier imports of the same kind
with the same scope (their entries go with them):

- describe-* output: `<accounts>/<regions>`. The accounts are the one given (`--account`; a refresh
  gives the account its credentials belong to), else the entries' owner ids (`OwnerId`; a
  reservation's for instances), comma separated when there are several (shared VPCs). The regions are
  the one given (`--region`; a refresh gives the region it read), else those of the entries'
  availability zones. When either is unknown for an entry (describe-vpcs output names no region, so
  import it with `--region`), or the file is empty, the scope is the file: `file <name>`, and only a
  later import of a file with the same name replaces it.
- ip-ranges.json: `global`. AWS publishes one list; a new one replaces the previous whatever its name.

Imports of different scopes live side by side; where they describe the same ENI, subnet or VPC id the
most recent import wins. `enrichment.selectors.addresses_describe` answers from all of them.
"""
