"""The address of the client that sent a request: the one function every caller uses.

Behind a reverse proxy REMOTE_ADDR is the proxy. Each proxy appends the address its
connection came from to X-Forwarded-For (nginx: `$proxy_add_x_forwarded_for`), so the
header reads `<anything the client sent>, <seen by the outermost proxy>, …, <seen by
the innermost proxy>`. Only the last TRUSTED_PROXY_COUNT entries were written by our
own proxies; everything to their left is the client's to forge. With N trusted proxies
the client is therefore the Nth entry from the right, never the leftmost one. With 0
(the default: clients connect directly) the header is ignored and REMOTE_ADDR is the
client.

TRUSTED_PROXY_IPS, when set, lists the addresses or networks the innermost proxy
connects from; a request from any other address is taken as a direct connection, so a
client that reaches the application server around the proxy cannot forge the header.

python-ipware parses and checks the addresses (IPv6, ports, IPv4-mapped IPv6). It is
handed only our proxies' part of the header: it reads quotes in the header, and a
client-sent `"` would otherwise swallow the entries the proxies appended after it. When
that part is missing or not an address (the request bypassed the outer proxy), the
answer is REMOTE_ADDR: never an address the client chose.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from python_ipware import IpWare

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
REMOTE_ADDR = "REMOTE_ADDR"


def client_address(request) -> str | None:
    """The client's address as our own proxies saw it, or None if there is none.

    Also django-axes' AXES_CLIENT_IP_CALLABLE (log-in throttling).
    """
    meta = request.META
    remote = _address(REMOTE_ADDR, meta.get(REMOTE_ADDR))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or not _from_trusted_proxy(remote):
        return remote
    entries = (meta.get(FORWARDED_FOR) or "").split(",")
    if len(entries) < count:
        return remote
    ours = ",".join(entries[-count:])
    return _address(FORWARDED_FOR, ours, proxy_count=count - 1) or remote


def _address(header: str, value, *, proxy_count: int = 0) -> str | None:
    """The first of `proxy_count + 1` addresses in `value`, if all of them are addresses."""
    if not isinstance(value, str) or not value.strip():
        return None
    resolver = IpWare(precedence=(header,), proxy_count=proxy_count, algorithm="modern")
    ip, _trusted = resolver.get_client_ip({header: value}, strict=True)
    return str(ip) if ip is not None else None


def _from_trusted_proxy(remote: str | None) -> bool:
    entries = tuple(getattr(settings, "TRUSTED_PROXY_IPS", ()) or ())
    if not entries:
        return True
    if remote is None:
        return False
    ip = ipaddress.ip_address(remote)
    return any(ip.version == net.version and ip in net for net in trusted_networks(entries))


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple:
    """TRUSTED_PROXY_IPS as networks: addresses (`10.0.0.5`) or CIDR blocks (`10.0.0.0/24`)."""
    try:
        return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_IPS: {exc}") from exc
