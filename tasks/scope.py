"""Where a source may go: hosts, path prefixes, schemes and addresses. Pure: no network.

The fetcher asks these questions before every request and again for every
redirect hop, so a link or a redirect can never lead a crawl off its source.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urldefrag, urlsplit

MAX_URL_LENGTH = 2000
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """Host and explicit non-default port, lowercased: 'www.umea.se', '127.0.0.1:8701'."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return ""  # a malformed host or port never matches an allowed host key
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return host
    return f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"


def allowed_hosts(start_urls: Iterable[str]) -> frozenset[str]:
    """The host keys a source may fetch from: those of its start URLs."""
    return frozenset(host_key(u) for u in start_urls)


def clean_url(url: str) -> str:
    """The URL without its fragment, so '#top' links are not fetched twice."""
    return urldefrag(url.strip()).url


def scope_refusal(url: str, hosts: frozenset[str], path_prefixes: tuple[str, ...] = ()) -> str | None:
    """Why the URL is outside the source, in words, or None when it is inside."""
    if len(url) > MAX_URL_LENGTH:
        return f"out of scope: URL longer than {MAX_URL_LENGTH:,} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "out of scope: URL is malformed"
    if parts.scheme not in ("http", "https"):
        return f"out of scope: scheme '{parts.scheme}' is not http(s)"
    if parts.username is not None or parts.password is not None:
        return "out of scope: URL carries a user name or password"
    if host_key(url) not in hosts:
        return f"out of scope: host '{parts.netloc}' is not one of the source's hosts"
    path = parts.path or "/"
    if path_prefixes and not any(path.startswith(prefix) for prefix in path_prefixes):
        return f"out of scope: path '{path}' is outside the source's path prefixes"
    return None


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses; False for loopback, private, link-local and the like."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
