"""A real, throwaway ZooKeeper for tests: Debian's package, standalone, on 127.0.0.1.

When the package is missing the fixture installs it (`apt-get install zookeeper`);
each session gets its own data dir and free port, and the server is stopped at
the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import TestServer

ZK_SERVER = Path("/usr/share/zookeeper/bin/zkServer.sh")


def ensure_installed() -> None:
    from tests.support.debian import ensure_package

    ensure_package(str(ZK_SERVER), "zookeeper")


def ruok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"ruok")
            return sock.recv(16) == b"imok"
    except OSError:
        return False


@dataclass
class ZooKeeper(TestServer):

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> ZooKeeper:
        from tests.support.devcluster import free_port

        ensure_installed()
        self.port = self.port or free_port()
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        config = self.folder / "zoo.cfg"
        config.write_text(f"tickTime=500\ndataDir={self.folder / 'data'}\n"
                          f"clientPort={self.port}\nclientPortAddress=127.0.0.1\n"
                          "admin.enableServer=false\nmaxClientCnxns=0\n"
                          "4lw.commands.whitelist=ruok,srvr\n")
        log = open(self.folder / "zookeeper.log", "wb")
        self.process = subprocess.Popen(
            [str(ZK_SERVER), "start-foreground", str(config)], stdout=log, stderr=log,
            env=dict(os.environ, ZOO_LOG_DIR=str(self.folder)), start_new_session=True)
        deadline = time.monotonic() + 60
        while not ruok(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("ZooKeeper did not start: "
                                   f"{(self.folder / 'zookeeper.log').read_text()[-800:]}")
            time.sleep(0.2)
        return self
