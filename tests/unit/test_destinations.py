"""Where a webhook may go: the address rules behind WEBHOOK_ALLOW_PRIVATE."""

import asyncio

import pytest

from reelscan_shared.domain.destinations import (
    RefusedDestination,
    checked_address,
    literal_address,
    parse_allowed,
    refusal,
)


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd12:3456::1", "private"),
    ("fc00::1", "private"), ("100.64.0.1", "cgnat"), ("100.127.255.254", "cgnat"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "private"), ("198.18.0.1", "private"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("100.100.100.200", "metadata"),
    # IPv4 wrapped in IPv6: mapped, NAT64, 6to4
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "metadata"),
    ("64:ff9b::7f00:1", "loopback"), ("2002:7f00:1::", "loopback"),
])
def test_inward_addresses_are_refused(address: str, kind: str) -> None:
    assert refusal(address) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_not(address: str) -> None:
    assert refusal(address) is None


@pytest.mark.parametrize("host", ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.0.0.1", "[::1]",
                                  "[::ffff:7f00:1]", "127.0.0.1"])
def test_odd_spellings_are_the_address_they_spell(host: str) -> None:
    literal = literal_address(host)
    assert literal is not None and refusal(literal) == "loopback"


def test_names_are_not_literals() -> None:
    assert literal_address("example.org") is None and literal_address("localhost") is None


def test_an_operator_allows_ranges_but_never_metadata() -> None:
    allowed = parse_allowed(" 10.20.0.0/16, 127.0.0.1 ,fd00::/8,169.254.0.0/16")
    assert refusal("10.20.3.4", allowed) is None and refusal("10.21.0.1", allowed) == "private"
    assert refusal("127.0.0.1", allowed) is None and refusal("127.0.0.2", allowed) == "loopback"
    assert refusal("::ffff:10.20.0.1", allowed) is None
    assert refusal("169.254.169.254", allowed) == "metadata" and refusal("fd00:ec2::254", allowed) == "metadata"
    assert parse_allowed("") == ()
    with pytest.raises(ValueError, match="WEBHOOK_ALLOW_PRIVATE"):
        parse_allowed("10.0.0.0/33")


def test_a_name_is_refused_when_any_of_its_addresses_is() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"ok.test": ["93.184.215.14"], "mixed.test": ["93.184.215.14", "10.0.0.1"]}[host]

    assert asyncio.run(checked_address("ok.test", 443, (), resolve)) == "93.184.215.14"
    with pytest.raises(RefusedDestination, match="private"):
        asyncio.run(checked_address("mixed.test", 443, (), resolve))
    with pytest.raises(RefusedDestination, match="loopback"):
        asyncio.run(checked_address("localhost", 80))  # the system resolver's answer
