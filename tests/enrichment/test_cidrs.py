"""The longest-prefix index: one bisect gives the innermost block, checked against a plain scan."""

from __future__ import annotations

import ipaddress
import random

import pytest
from django.core.exceptions import ValidationError

from enrichment.cidrs import (
    PrefixIndex,
    address_value,
    block_bounds,
    cidr_parse,
    cidrs_validate,
    indexes_overlay,
)


def index_of(*blocks: tuple[str, str]) -> PrefixIndex[str]:
    """An index of (CIDR, label) pairs."""
    return PrefixIndex.build((*bounds(cidr), label) for cidr, label in blocks)


def bounds(cidr: str) -> tuple[int, int]:
    network = ipaddress.ip_network(cidr, strict=False)
    return int(network.network_address), int(network.broadcast_address)


def value(text: str) -> int:
    return int(ipaddress.ip_address(text))


def test_the_innermost_block_wins_and_its_parent_resumes_after_it() -> None:
    index = index_of(("10.0.0.0/8", "eight"), ("10.1.0.0/16", "sixteen"), ("10.1.2.0/24", "24"))
    assert index.get(value("10.1.2.3")) == "24"
    assert index.get(value("10.1.3.0")) == "sixteen"
    assert index.get(value("10.200.0.1")) == "eight"
    assert index.get(value("11.0.0.0")) is None
    assert index.get(value("9.255.255.255")) is None


def test_blocks_that_share_their_first_or_last_address_with_the_parent_are_found() -> None:
    index = index_of(("10.0.0.0/24", "outer"), ("10.0.0.0/25", "low"), ("10.0.0.128/25", "high"))
    assert [index.get(value(f"10.0.0.{host}")) for host in (0, 127, 128, 255)] == [
        "low",
        "low",
        "high",
        "high",
    ]
    assert index.get(value("10.0.1.0")) is None


def test_the_first_value_given_for_a_repeated_block_wins() -> None:
    index = index_of(("192.0.2.0/24", "first"), ("192.0.2.0/24", "second"))
    assert index.get(value("192.0.2.9")) == "first"


def test_the_index_agrees_with_a_plain_scan_on_random_nested_blocks() -> None:
    chooser = random.Random(7)
    blocks: list[tuple[str, int]] = []
    for number in range(400):
        start = f"10.{chooser.randrange(4)}.{chooser.randrange(256)}.{chooser.randrange(256)}"
        blocks.append((f"{start}/{chooser.choice((8, 12, 16, 20, 24, 28, 30, 32))}", number))
    index = PrefixIndex.build((*bounds(cidr), number) for cidr, number in blocks)
    first_given: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, int] = {}
    for cidr, number in blocks:
        first_given.setdefault(ipaddress.ip_network(cidr, strict=False), number)
    for _ in range(3000):
        address = ipaddress.ip_address(
            f"10.{chooser.randrange(5)}.{chooser.randrange(256)}.{chooser.randrange(256)}"
        )
        holding = [block for block in first_given if address in block]
        expected = first_given[max(holding, key=lambda block: block.prefixlen)] if holding else None
        assert index.get(int(address)) == expected, address


def test_overlaid_indexes_label_each_interval_with_every_index_answer() -> None:
    subnets = index_of(("10.0.1.0/24", "subnet"))
    groups = index_of(("10.0.0.0/16", "group"))
    starts, labels = indexes_overlay([subnets, groups])
    overlay = PrefixIndex(starts, labels)
    assert overlay.get(value("10.0.1.7")) == ("subnet", "group")
    assert overlay.get(value("10.0.2.7")) == (None, "group")
    assert overlay.get(value("10.1.0.0")) == (None, None)


@pytest.mark.parametrize("text", ["10.0.0.1", "255.255.255.255", "2001:db8::1", "::ffff:10.0.0.1"])
def test_addresses_as_flow_logs_write_them_are_read(text: str) -> None:
    parsed = address_value(text)
    assert parsed == (ipaddress.ip_address(text).version, int(ipaddress.ip_address(text)))


@pytest.mark.parametrize(
    "text", ["-", "", "10.0.0", "10.0.0.256", "10.0.0.1 ", "fe80::1%eth0", "2001:db8::g", "a\x00b"]
)
def test_what_is_not_an_address_gives_nothing(text: str) -> None:
    assert address_value(text) is None


@pytest.mark.parametrize(
    "text",
    ["10.1.2.3/16", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.7", "2600:1f18:4a3:6f00::/56", "2001:db8::1/128"],
)
def test_block_bounds_agree_with_ipaddress(text: str) -> None:
    network = ipaddress.ip_network(text, strict=False)
    expected = (network.version, int(network.network_address), int(network.broadcast_address))
    assert block_bounds(text) == expected


@pytest.mark.parametrize(
    "text", ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "::/129", "10.0.0.0/²", ""]
)
def test_block_bounds_of_what_is_not_a_block_is_nothing(text: str) -> None:
    assert block_bounds(text) is None


def test_a_cidr_with_host_bits_is_kept_as_its_network_and_a_bad_one_is_named() -> None:
    assert str(cidr_parse(" 10.1.2.3/16 ")) == "10.1.0.0/16"
    with pytest.raises(ValueError, match=r"'10.0.0.300/24' is not a CIDR block \(e.g. 10.0.0.0/16"):
        cidr_parse("10.0.0.300/24")


def test_the_group_validator_names_every_bad_cidr() -> None:
    with pytest.raises(ValidationError) as caught:
        cidrs_validate(["10.0.0.0/8", "nope", "10.0.0.0/33"])
    assert [message.split(" is not")[0] for message in caught.value.messages] == ["'nope'", "'10.0.0.0/33'"]
    with pytest.raises(ValidationError, match="at least one"):
        cidrs_validate([])
    with pytest.raises(ValidationError, match="a list of CIDR blocks"):
        cidrs_validate("10.0.0.0/8")
