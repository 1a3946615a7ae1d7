"""Leader election and ServerSet announcement for devclusters sharing a state dir.

Several `aurora-devcluster --zk HOST:PORT --zk-path PATH` processes on one
state dir contend through a kazoo Election (at PATH-election). The winner
announces itself as `PATH/member_<seq>` with the ServerSet JSON the real
scheduler writes (serviceEndpoint, additionalEndpoints.http, status ALIVE),
then starts scheduling. The others answer API calls with a 307 to the leader,
or 503 while there is none. A leader that loses its ZooKeeper session stops
at once: a second leader must never write beside it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from aurora.api.serverset import endpoint_from_member, member_data

log = logging.getLogger("aurora.devcluster")
SESSION_TIMEOUT = 2.0


class Leadership:
    def __init__(self, hosts: str, path: str, host: str, port: int,
                 on_elected: Callable[[], None]):
        from kazoo.client import KazooClient

        self.path = path.rstrip("/") or "/"
        self.host, self.port = host, port
        self.on_elected = on_elected
        self.zk = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT,
                              logger=logging.getLogger("aurora.devcluster.kazoo"))
        self.is_leader = False
        self._stop = threading.Event()

    def start(self, connect_timeout: float = 15.0) -> None:
        from kazoo.protocol.states import KazooState

        self.zk.start(timeout=connect_timeout)
        self.zk.ensure_path(self.path)

        def watch(state: Any) -> None:
            if state == KazooState.LOST and self.is_leader and not self._stop.is_set():
                log.error("lost the ZooKeeper session while leading; stopping at once")
                os._exit(75)
        self.zk.add_listener(watch)
        election = self.zk.Election(f"{self.path}-election", f"{self.host}:{self.port}")
        threading.Thread(target=election.run, args=(self._lead,), name="election",
                         daemon=True).start()

    def _lead(self) -> None:
        self.on_elected()
        self.is_leader = True
        self.zk.create(f"{self.path}/member_", member_data(self.host, self.port),
                       ephemeral=True, sequence=True)
        log.info("elected leader; announced at %s", self.path)
        self._stop.wait()

    def leader_url(self) -> str | None:
        """The current leader's base URL from the ServerSet, or None."""
        try:
            members = sorted(c for c in self.zk.get_children(self.path)
                             if c.startswith("member_"))
            if not members:
                return None
            data, _ = self.zk.get(f"{self.path}/{members[0]}")
        except Exception:  # noqa: BLE001 - no answer is "no leader known"
            return None
        return endpoint_from_member(data)

    def stop(self) -> None:
        """Leave the election; the session's end is then ours, not a lost leadership."""
        self._stop.set()
        try:
            self.zk.stop()
            self.zk.close()
        except Exception:  # noqa: BLE001 - shutting down anyway
            pass
