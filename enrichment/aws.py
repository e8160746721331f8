"""Reading the describe-* documents from AWS with boto3, shaped as the AWS CLI prints them.

The session is the flow-log source's: `VPC_FLOW_LOGS_BUCKET_ROLE`, when set, is assumed through STS with
credentials renewed before they expire (`digests.sources.s3.assumed_role_session`); otherwise boto3's
default chain (USE_IAM) is used. `VPC_FLOW_LOGS_BUCKET_REGION` is the session's region.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# FlowLogReadError is what assumed_role_session raises when the role cannot be assumed.
from digests.sources.s3 import FlowLogReadError, assumed_role_session
from enrichment.errors import RefreshFailed
from ops.env import Config as GrapherdConfig

# (client method, the result key the CLI prints): one document per call, in the order they are stored.
CALLS = (
    ("describe_network_interfaces", "NetworkInterfaces"),
    ("describe_instances", "Reservations"),
    ("describe_subnets", "Subnets"),
    ("describe_vpcs", "Vpcs"),
)
_RETRIES: Any = {"total_max_attempts": 3, "mode": "standard"}
_AWS_ERRORS = (ClientError, BotoCoreError, FlowLogReadError)


def aws_session(config: GrapherdConfig) -> boto3.Session:
    region = config.flow_logs_region or None
    try:
        if config.flow_logs_role:
            return assumed_role_session(config.flow_logs_role, region)
        return boto3.Session(region_name=region)
    except _AWS_ERRORS as error:
        raise RefreshFailed(f"cannot open an AWS session: {error}") from error


def aws_account(session: boto3.Session) -> str:
    """The account the session's credentials belong to: the scope account of what a refresh stores."""
    try:
        sts: Any = session.client("sts", config=Config(retries=_RETRIES))
        return str(sts.get_caller_identity()["Account"])
    except _AWS_ERRORS as error:
        raise RefreshFailed(f"cannot tell which account the credentials belong to: {error}") from error


def aws_region_documents(session: boto3.Session, region: str) -> list[tuple[str, dict[str, Any]]]:
    """(call, document) for each of CALLS in `region`; every page read, as the CLI does."""
    try:
        ec2: Any = session.client("ec2", region_name=region, config=Config(retries=_RETRIES))
    except _AWS_ERRORS as error:
        raise RefreshFailed(f"{region}: cannot make an EC2 client: {error}") from error
    documents = []
    for call, key in CALLS:
        try:
            result = ec2.get_paginator(call).paginate().build_full_result()
        except _AWS_ERRORS as error:
            raise RefreshFailed(f"{region} {call}: {error}") from error
        documents.append((call, cli_shaped({key: result.get(key, [])})))
    return documents


def cli_shaped(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response as the CLI prints it: the same keys, times as ISO 8601 text."""
    shaped: dict[str, Any] = json.loads(json.dumps(response, default=_json_default))
    return shaped


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
