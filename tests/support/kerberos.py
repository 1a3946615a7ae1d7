"""A throwaway Kerberos realm for tests: MIT KDC from Debian's packages, on 127.0.0.1.

Creates the realm TEST.AURORA in a temporary folder (its own krb5.conf and
kdc.conf), a service principal `HTTP/localhost` with a keytab for the
devcluster, and a user `alice` with a ticket cache. The kerberos extra
(pyspnego, gssapi) is installed into a folder used through PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.debian import ensure_package
from tests.support.server import TestServer

REALM = "TEST.AURORA"
PASSWORD = "alice-kerberos-pw"


def install_extra(target: Path) -> None:
    ensure_package("krb5-config", "libkrb5-dev")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "--target", str(target),
                           "pyspnego[kerberos]>=0.10"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"could not install the kerberos extra: {done.stderr[-600:]}")


@dataclass
class Realm(TestServer):
    extra: Path | None = None

    @property
    def keytab(self) -> Path:
        return self.folder / "http.keytab"

    @property
    def ccache(self) -> Path:
        return self.folder / "alice.ccache"

    def env(self, **extra: str) -> dict[str, str]:
        values = {"KRB5_CONFIG": str(self.folder / "krb5.conf"),
                  "KRB5_KDC_PROFILE": str(self.folder / "kdc.conf"),
                  "KRB5CCNAME": f"FILE:{self.ccache}",
                  "PYTHONPATH": str(self.extra or "")}
        values.update(extra)
        return values

    def run(self, *command: str, input: str | None = None) -> None:
        done = subprocess.run(command, input=input, capture_output=True, text=True,
                              env=dict(os.environ, **self.env()))
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-400:]}")

    def start(self) -> Realm:
        from tests.support.devcluster import free_port

        for executable, package in (("/usr/sbin/krb5kdc", "krb5-kdc"),
                                    ("/usr/sbin/kadmin.local", "krb5-admin-server"),
                                    ("kinit", "krb5-user")):
            ensure_package(executable, package)
        self.port = self.port or free_port()
        self.extra = self.folder / "extra"
        install_extra(self.extra)
        (self.folder / "krb5.conf").write_text(
            f"[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n"
            " dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n"
            " udp_preference_limit = 1\n"
            f"[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{self.port}\n }}\n"
            f"[domain_realm]\n localhost = {REALM}\n")
        (self.folder / "kdc.conf").write_text(
            f"[kdcdefaults]\n kdc_ports = {self.port}\n kdc_tcp_ports = {self.port}\n"
            f"[realms]\n {REALM} = {{\n  database_name = {self.folder / 'principal'}\n"
            f"  key_stash_file = {self.folder / 'stash'}\n"
            f"  acl_file = {self.folder / 'kadm5.acl'}\n }}\n")
        (self.folder / "kadm5.acl").write_text("")
        self.run("/usr/sbin/kdb5_util", "create", "-s", "-r", REALM, "-P", "master-pw")
        for query in ("addprinc -randkey HTTP/localhost",
                      f"ktadd -k {self.keytab} HTTP/localhost",
                      f"addprinc -pw {PASSWORD} alice"):
            self.run("/usr/sbin/kadmin.local", "-r", REALM, "-q", query)
        log = open(self.folder / "kdc.log", "wb")
        self.process = subprocess.Popen(["/usr/sbin/krb5kdc", "-n", "-r", REALM],
                                        stdout=log, stderr=log, start_new_session=True,
                                        env=dict(os.environ, **self.env()))
        deadline = time.monotonic() + 20
        while True:
            try:
                self.run("kinit", f"alice@{REALM}", input=PASSWORD + "\n")
                return self
            except RuntimeError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
