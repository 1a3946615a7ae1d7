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


def endpoint_from_member(data: bytes) -> str | None:
    """The base URL a ServerSet member advertises, or None when it has no http(s)."""
    try:
        member = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    extra = member.get("additionalEndpoints") or {}
    for scheme in ("https", "http"):
        endpoint = extra.get(scheme)
        if isinstance(endpoint, dict) and endpoint.get("host") and endpoint.get("port"):
            return f"{scheme}://{endpoint['host']}:{int(endpoint['port'])}"
    return None
