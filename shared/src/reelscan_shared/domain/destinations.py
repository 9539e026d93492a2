"""Where a webhook may be sent: the address checks behind WEBHOOK_ALLOW_PRIVATE.

Plain Python (``ipaddress``, ``socket``, ``asyncio``). A destination is checked on the
addresses its name resolves to at send time (worker-service/webhooks.py connects to the
address that was checked); the API makes the same check when a subscription is made,
for a clear 422. Refused:
loopback, private (RFC 1918, IPv6 ULA), link-local, shared CGNAT space, multicast,
unspecified and other non-global addresses, and cloud metadata endpoints, also when
wrapped in IPv6 (IPv4-mapped, 6to4, NAT64). An operator may allow ranges
(WEBHOOK_ALLOW_PRIVATE); metadata endpoints stay refused whatever is allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_allowed(value: str) -> tuple[IPNetwork, ...]:
    """WEBHOOK_ALLOW_PRIVATE: comma-separated CIDR ranges (a bare address is a /32 or /128)."""
    nets = []
    for part in (p.strip() for p in value.split(",")):
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(f"WEBHOOK_ALLOW_PRIVATE: {part!r} is not an address range") from exc
    return tuple(nets)


def unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else the address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _kind(ip: IPAddress) -> str | None:
    checks = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("unspecified", ip.is_unspecified), ("cgnat", ip in _CGNAT), ("private", ip.is_private),
              ("reserved", not ip.is_global))
    return next((name for name, hit in checks if hit), None)


def refusal(address: IPAddress | str, allowed: tuple[IPNetwork, ...] = ()) -> str | None:
    """Why a webhook may not go to this address (e.g. "private"), or None when it may."""
    ip = unwrap(ipaddress.ip_address(address))
    if ip in METADATA or ipaddress.ip_address(address) in METADATA:
        return "metadata"
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    return _kind(ip)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host spells directly, in any form a resolver accepts
    (``127.0.0.1``, ``[::1]``, ``2130706433``, ``0x7f000001``, ``127.1``), else None (a name)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


# (host, port) -> the addresses the name resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class RefusedDestination(Exception):
    """A destination whose address may not be reached; ``kind`` is a short fixed word."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"refused destination ({kind})")


async def checked_address(host: str, port: int, allowed: tuple[IPNetwork, ...] = (),
                          resolve: Resolver = system_resolve) -> str:
    """The address to connect to for ``host``: resolved once, and every address the name
    has must be allowed (a name with one inward address is refused, whichever a client
    would pick). Raises RefusedDestination, or OSError when the name does not resolve."""
    literal = literal_address(host)
    addresses = [str(literal)] if literal is not None else await resolve(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    for address in addresses:
        if (kind := refusal(address, allowed)) is not None:
            raise RefusedDestination(kind)
    return addresses[0]
