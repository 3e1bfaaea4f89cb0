"""Which network addresses a site may send the crawler to. Pure: an address in, a class out.

A monitored site is untrusted: its redirect to `http://169.254.169.254/latest/meta-data/` (the cloud
metadata service) was followed once and the path stored in the findings. A redirect, feed, sitemap
or item URL is followed only to an address class the site itself is in (see `allowed`).
"""

from __future__ import annotations

import ipaddress
from typing import Literal

AddressClass = Literal["loopback", "private", "link_local", "unspecified", "multicast", "reserved", "public"]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # shared address space: an ISP's or an office's own
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]
_NEVER = {"link_local", "unspecified", "multicast", "reserved"}


def classify(address: str) -> AddressClass:
    """The class of an IP address (v4 or v6, as text). Raises ValueError for anything else."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone id ("fe80::1%eth0") is no part of it
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:169.254.169.254 reaches the same host as 169.254.169.254
        ip = mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in net for net in _PRIVATE) or (ip.version == 4 and ip in _CGNAT):
        return "private"
    if ip.is_reserved or not ip.is_global:  # documentation, benchmarking, 240/4, broadcast ...
        return "reserved"
    return "public"


def allowed(site: AddressClass, target: AddressClass) -> bool:
    """May a site whose own address is of class `site` send the crawler to one of class `target`?

    Link-local, unspecified, multicast and reserved: never. Loopback: only from a loopback site.
    Private: only from a private or loopback site (an OPD server on the office LAN). Public: always."""
    if target in _NEVER:
        return False
    if target == "loopback":
        return site == "loopback"
    if target == "private":
        return site in {"private", "loopback"}
    return True
