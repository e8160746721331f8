"""What grapherd knows about an address beyond the flow logs: the answer the connection views ask for.

`addresses_describe(addresses)` (in `enrichment.selectors`) returns one `AddressInfo` per address it
knows anything about; an address it knows nothing about is absent. The connection views (`connections`)
name and group nodes with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddressInfo:
    eni: str = ""  # eni-… whose private address this is (describe-network-interfaces)
    name: str = ""  # the best human name: the instance's Name tag, else the ENI's Name tag or description
    instance: str = ""  # i-…
    subnet: str = ""  # subnet-… (the ENI's, or the describe-subnets CIDR that holds the address)
    subnet_name: str = ""  # its Name tag
    subnet_cidr: str = ""
    vpc: str = ""  # vpc-…
    vpc_name: str = ""
    account: str = ""  # the owner account of the ENI or subnet
    group: str = ""  # the operator's network group whose CIDRs hold the address (enrichment.NetworkGroup)
    aws_service: str = ""  # "AWS S3 us-east-1": a public address in AWS's published ip-ranges.json
