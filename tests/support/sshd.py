"""A throwaway OpenSSH server on 127.0.0.1 (Debian's openssh-server), with its own keys."""

from __future__ import annotations

import getpass
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.debian import ensure_package
from tests.support.server import TestServer


@dataclass
class Sshd(TestServer):

    @property
    def key(self) -> Path:
        return self.folder / "id_ed25519"

    @property
    def log(self) -> Path:
        return self.folder / "sshd.log"

    @property
    def ssh_options(self) -> str:
        return (f"-i {self.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                "-o LogLevel=ERROR")

    @property
    def target(self) -> str:
        return f"{getpass.getuser()}@127.0.0.1:{self.port}"

    def start(self) -> Sshd:
        from tests.support.devcluster import free_port

        sshd = ensure_package("/usr/sbin/sshd", "openssh-server")
        ensure_package("ssh", "openssh-client")
        self.port = self.port or free_port()
        for name in ("host_key", "id_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            str(self.folder / name)], check=True)
        (self.folder / "authorized_keys").write_text(
            (self.folder / "id_ed25519.pub").read_text())
        os.makedirs("/run/sshd", exist_ok=True)
        config = self.folder / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.folder / 'host_key'}\n"
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}\nPidFile "
            f"{self.folder / 'sshd.pid'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "PermitRootLogin prohibit-password\nAllowTcpForwarding yes\nLogLevel DEBUG1\n"
            "Subsystem sftp internal-sftp\n"     # scp speaks SFTP since OpenSSH 9
            # bash sources ~/.bashrc for every ssh command: a HOME of our own keeps the
            # machine's rc files (pyenv rehashing in parallel sessions) out of the output
            f"SetEnv HOME={self.folder}\n")
        self.process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)],
                                        stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while b"Server listening" not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {self.log.read_text()[-600:]}")
            time.sleep(0.1)
        return self
