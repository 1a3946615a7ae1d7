"""A ServerSet member that vanishes between listing and reading is not a missing path."""

from __future__ import annotations

import json

from kazoo.exceptions import NoNodeError

from aurora.clusters import Cluster
from aurora.discovery import _leader


class Flickering:
    """A ZooKeeper whose first leader expires right after it was listed."""

    def __init__(self) -> None:
        self.members = ["member_0000000001", "member_0000000002"]

    def get_children(self, path: str) -> list[str]:
        return list(self.members)

    def get(self, node: str) -> tuple[bytes, None]:
        if node.endswith(self.members[0]) and len(self.members) == 2:
            self.members.pop(0)
            raise NoNodeError()
        record = {"serviceEndpoint": {"host": "127.0.0.1", "port": 9},
                  "additionalEndpoints": {"http": {"host": "127.0.0.1", "port": 9}},
                  "status": "ALIVE"}
        return json.dumps(record).encode(), None


def test_a_vanished_leader_is_replaced_by_the_next_member() -> None:
    cluster = Cluster({"name": "c", "zk": "127.0.0.1", "scheduler_zk_path": "/aurora/s"},
                      source="test")
    assert _leader(Flickering(), cluster) == "http://127.0.0.1:9"
