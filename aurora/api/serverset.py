"""The ServerSet member record a scheduler announces itself with in ZooKeeper.

Each scheduler writes one `member_<seq>` child holding JSON with
`serviceEndpoint`, `additionalEndpoints` and `status`. The client reads it to
find the leader; the devcluster writes and reads it the same way, so the
format lives here, beside the rest of the wire contract.
"""

from __future__ import annotations

import json


def member_data(host: str, port: int) -> bytes:
    """The record a scheduler serving http on host:port announces."""
    endpoint = {"host": host, "port": port}
    return json.dumps({"serviceEndpoint": endpoint, "additionalEndpoints": {"http": endpoint},
                       "status": "ALIVE", "shard": 0}).encode()


MAX_MEMBER_BYTES = 64 * 1024      # a real record is a few hundred bytes


def endpoint_from_member(data: bytes | None) -> str | None:
    """The base URL a ServerSet member advertises, or None when its record has no usable
    http(s) endpoint (not JSON, not an object, nested past reading, a bad host or port)."""
    if not data or len(data) > MAX_MEMBER_BYTES:
        return None
    try:
        member = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    extra = member.get("additionalEndpoints") if isinstance(member, dict) else None
    if not isinstance(extra, dict):
        return None
    for scheme in ("https", "http"):
        endpoint = extra.get(scheme)
        if not isinstance(endpoint, dict):
            continue
        host, port = endpoint.get("host"), endpoint.get("port")
        if _good_host(host) and type(port) is int and 0 < port < 65536:
            return f"{scheme}://{host}:{port}"
    return None


def _good_host(host: object) -> bool:
    """A host name or IPv4 address a URL can hold as it is (no '/', '@', ':' or spaces)."""
    return isinstance(host, str) and 0 < len(host) <= 253 and \
        all(c.isalnum() or c in ".-_" for c in host) and host.isascii()
