"""Credentials go only to the origin they were configured for, and are never printed."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.devcluster import free_port
from tests.support.faultproxy import FaultProxy

PASSWORD = "Hunter2-secret"


class Redirector:
    """Answers every POST with a 307 to `target` and records the headers it got."""

    def __init__(self, target: str):
        self.seen: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.seen.append(dict(self.headers))
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def leader(devcluster):
    """The origin redirected to: 127.0.0.1:P2, forwarding to the devcluster."""
    with FaultProxy(devcluster.url) as proxy:
        yield proxy


@pytest.mark.parametrize("mechanism", ["UNAUTHENTICATED", "BASIC"])
def test_a_redirect_to_another_origin_drops_credentials(home, leader, mechanism):
    redirector = Redirector(f"{leader.url}/api")
    try:
        netrc = Path(home.env()["HOME"]) / ".netrc"
        netrc.write_text(f"machine localhost login alice password {PASSWORD}\n")
        netrc.chmod(0o600)
        home.write_clusters([{"name": "devcluster", "auth_mechanism": mechanism,
                              "scheduler_uri": f"http://localhost:{redirector.port}"}])
        home.write_client_config("[devcluster]\nautostart = false\n")
        done = home.run("job", "list", "devcluster/www-data")
    finally:
        redirector.stop()
    assert done.returncode == 0, done.stderr
    expected = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert [h.get("Authorization") for h in redirector.seen] == [expected]   # its origin
    assert leader.headers_seen and all("Authorization" not in h for h in leader.headers_seen)
    assert PASSWORD not in done.stdout + done.stderr


def test_user_info_credentials_stay_with_their_origin(home, leader):
    target = Redirector(f"{leader.url}/api")      # a second hop, on another port
    first = Redirector(f"http://127.0.0.1:{target.port}/api")
    try:
        home.write_clusters([{"name": "devcluster",
                              "scheduler_uri": f"http://alice:{PASSWORD}@127.0.0.1:{first.port}"}])
        home.write_client_config("[devcluster]\nautostart = false\n")
        done = home.run("job", "list", "devcluster/www-data")
    finally:
        first.stop()
        target.stop()
    assert done.returncode == 0, done.stderr
    assert first.seen[0].get("Authorization", "").startswith("Basic ")
    assert "Authorization" not in target.seen[0]      # another port: another origin
    assert all("Authorization" not in h for h in leader.headers_seen)
    assert PASSWORD not in done.stdout + done.stderr


@pytest.mark.parametrize("args", [("job", "list", "devcluster/www-data"),
                                  ("-v", "job", "status", "devcluster/www-data/test/x")])
def test_a_password_in_scheduler_uri_is_never_printed(home, args):
    home.write_clusters([{"name": "devcluster",
                          "scheduler_uri": f"http://alice:{PASSWORD}@127.0.0.1:{free_port()}"}])
    home.write_client_config("[devcluster]\nautostart = false\n")
    done = home.run(*args)
    assert done.returncode == 7, done.stderr
    assert "cannot reach the scheduler at http://" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_plain_http_never_imports_ssl(dev_home):
    dev_home.run("job", "list", "devcluster/www-data")    # fills the caches (IDL snapshot)
    done = dev_home.run("job", "list", "devcluster/www-data",
                        env=dev_home.env(PYTHONPROFILEIMPORTTIME="1"))
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "json" in imported or "aurora.cli" in imported      # the profile is there
    assert "ssl" not in imported and "_ssl" not in imported
