"""The SSRF guard's address rules: which IP addresses count as the public internet, name resolution, and the host
and IP-literal forms of a URL's host — plain functions, no I/O but `getaddrinfo`.

`Fetcher` (transforms/fetch/http.py) checks every resolved address of every hop with `is_public_address` and
connects to the very address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

# Networks that are not "the public internet" but that ipaddress.is_global does not flag (Python 3.11):
# multicast, IPv4-compatible IPv6 (::a.b.c.d, deprecated but still routed by some stacks), RFC 8215 local
# NAT64, deprecated site-local.
_EXTRA_BLOCKED_V4 = (ipaddress.ip_network("224.0.0.0/4"), ipaddress.ip_network("100.64.0.0/10"))
_EXTRA_BLOCKED_V6 = (
    ipaddress.ip_network("ff00::/8"),
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("fec0::/10"),
)
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")

# resolver(host, port) -> [ip, ...]; address_allowed(host, ip) -> bool.
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[str, str], bool]


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form smuggles (mapped, NAT64 well-known prefix, 6to4), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr.sixtofour


def is_public_address(ip: str) -> bool:
    """True only for a globally routable unicast address; embedded IPv4 forms are judged by their IPv4."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None:
            return is_public_address(str(inner))
        if any(addr in net for net in _EXTRA_BLOCKED_V6):
            return False
    elif any(addr in net for net in _EXTRA_BLOCKED_V4):
        return False
    return bool(
        addr.is_global
        and not (addr.is_multicast or addr.is_reserved or addr.is_unspecified or addr.is_loopback)
        and not addr.is_link_local
    )


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses getaddrinfo gives for host:port, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def ascii_host(host: str) -> str:
    """The host as ASCII (IDNA for international names); empty if it cannot be encoded."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
