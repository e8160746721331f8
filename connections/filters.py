"""The view filters, parsed from query parameters; a value that cannot be parsed names its parameter."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "gre": 47, "esp": 50}
ACTIONS = ("accept", "reject", "mixed")
FILTER_PARAMETERS = (
    "port", "protocol", "action", "address", "client", "server", "account", "eni", "min_bytes", "internet",
    "search", "path",
)  # fmt: skip
# traffic-path codes (flow logs v5, egress records only) and the names the `path` filter also takes.
PATHS = {
    "vpc": 1, "igw-or-gateway-endpoint": 2, "vgw": 3, "peering": 4, "inter-region-peering": 5,
    "local-gateway": 6, "gateway-endpoint": 7, "igw": 8,
}  # fmt: skip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FilterInvalid(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    ports: tuple[tuple[int, int], ...] = ()  # inclusive ranges
    protocols: tuple[int, ...] = ()
    action: str = ""  # accept (ACCEPT or MIXED), reject (REJECT or MIXED), mixed; "" for all
    address: tuple[Network, ...] = ()  # either side
    client: tuple[Network, ...] = ()
    server: tuple[Network, ...] = ()
    accounts: tuple[str, ...] = ()
    enis: tuple[str, ...] = ()
    min_bytes: int = 0  # both ways together
    internet: str = ""  # in (internet client → VPC server), out (VPC client → internet server)
    search: str = ""  # lower-case substring of an address, name or id, on either side
    paths: int = 0  # traffic-path codes as a bit mask (bit n-1 for code n): connections that took any of them
    given: dict[str, str] = field(default_factory=dict)  # the parameters as written, for CSV names and links

    @property
    def empty(self) -> bool:
        return not self.given


def filters_parse(params: Mapping[str, str]) -> Filters:
    """`params` maps parameter → value (repeat a parameter by separating values with commas)."""
    given = {name: params[name].strip() for name in FILTER_PARAMETERS if params.get(name, "").strip()}
    get = given.get
    return Filters(
        ports=tuple(_port_range(part) for part in _items(get("port"))),
        protocols=tuple(_protocol(part) for part in _items(get("protocol"))),
        action=_choice("action", get("action", "").lower(), ACTIONS),
        address=_networks("address", get("address")),
        client=_networks("client", get("client")),
        server=_networks("server", get("server")),
        accounts=_items(get("account")),
        enis=_items(get("eni")),
        min_bytes=_whole("min_bytes", get("min_bytes", "0")),
        internet=_choice("internet", get("internet", "").lower(), ("in", "out")),
        search=get("search", "").lower(),
        paths=sum({1 << (_path(part) - 1) for part in _items(get("path"))}),
        given=given,
    )


def _items(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _port_range(part: str) -> tuple[int, int]:
    low, dash, high = part.partition("-")
    try:
        first, last = int(low), int(high if dash else low)
    except ValueError:
        raise FilterInvalid("port", f"{part!r} is not a port or a range like 8000-8080") from None
    if not 0 <= first <= last <= 65535:
        raise FilterInvalid("port", f"{part!r} is not within 0-65535 (low-high)")
    return first, last


def _protocol(part: str) -> int:
    if part.lower() in PROTOCOLS:
        return PROTOCOLS[part.lower()]
    if part.isdigit() and int(part) <= 255:
        return int(part)
    names = ", ".join(sorted(PROTOCOLS))
    raise FilterInvalid("protocol", f"{part!r} is not a protocol number (0-255) or one of {names}")


def _path(part: str) -> int:
    if part.lower() in PATHS:
        return PATHS[part.lower()]
    if part.isdigit() and 1 <= int(part) <= len(PATHS):
        return int(part)
    names = ", ".join(PATHS)
    raise FilterInvalid("path", f"{part!r} is not a traffic-path code (1-8) or one of {names}")


def paths_decode(mask: int) -> list[int]:
    """The traffic-path codes of a bit mask, in order."""
    return [code for code in range(1, len(PATHS) + 1) if mask & (1 << (code - 1))]


def _networks(parameter: str, value: str | None) -> tuple[Network, ...]:
    networks = []
    for part in _items(value):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise FilterInvalid(parameter, f"{part!r} is not an address or a CIDR like 10.0.0.0/16") from None
    return tuple(networks)


def _choice(parameter: str, value: str, choices: tuple[str, ...]) -> str:
    if value and value not in choices:
        raise FilterInvalid(parameter, f"{value!r} must be one of {', '.join(choices)}")
    return value


def _whole(parameter: str, value: str) -> int:
    if not value.isdigit():
        raise FilterInvalid(parameter, f"{value!r} is not a whole number of bytes")
    return int(value)
