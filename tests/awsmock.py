"""moto for a test module: AWS calls stay in this process, whatever the machine's AWS settings."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from moto import mock_aws

ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_STS",
)


@contextlib.contextmanager
def aws_mocked(region: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in (*ENDPOINT_VARIABLES, "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", region)
        with mock_aws():
            yield
