"""Every transport fault ends in one line naming cluster, endpoint and cause, and a bounded wait."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.devcluster import free_port


class Misbehaving(BaseHTTPRequestHandler):
    """Answers POST /api in the way named by the server's `mode`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.server.mode
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "redirect-loop":
            self.send_response(307)
            self.send_header("Location", "/api")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, body = {"500": (500, b"boom"), "garbage": (200, b"<html>not thrift</html>")}[mode]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def misbehaving():
    servers = []

    def start(mode: str) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
        server.daemon_threads = True
        server.mode = mode
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mode,code,cause", [
    ("500", 7, "answered HTTP 500"),
    ("garbage", 7, "not a thrift reply"),
    ("redirect-loop", 7, "too many redirects"),
    ("hang", 9, "no answer from"),
])
def test_http_faults(home, misbehaving, mode, code, cause):
    url = misbehaving(mode)
    home.write_clusters([{"name": "faulty", "scheduler_uri": url}])
    home.write_client_config("[scheduler]\nretries = 1\ntimeout = 1\n")
    started = time.monotonic()
    done = home.run("job", "list", "faulty/www-data")
    assert done.returncode == code, done.stderr
    assert time.monotonic() - started < 15
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "cluster faulty" in line and url in line and cause in line


def test_refused_and_unresolvable(home):
    home.write_clusters([{"name": "refused", "scheduler_uri": f"http://127.0.0.1:{free_port()}"},
                         {"name": "nowhere", "scheduler_uri": "http://no-such-host.invalid:8081"}])
    home.write_client_config("[scheduler]\nretries = 1\n")
    refused = home.run("job", "list", "refused/www-data")
    assert refused.returncode == 7
    assert "cluster refused" in refused.stderr and "Connection refused" in refused.stderr
    nowhere = home.run("job", "list", "nowhere/www-data")
    assert nowhere.returncode == 7
    assert "cannot resolve the scheduler host of http://no-such-host.invalid:8081/api" in \
        nowhere.stderr
    assert len(refused.stderr.strip().splitlines()) == 1    # loopback refused: no retry
    first, last = nowhere.stderr.strip().splitlines()       # one progress line, one error
    assert first.startswith("aurora: getJobs to cluster nowhere") and "retry 1 of 1" in first
    assert "gave up on getJobs after 2 attempt(s)" in last


def test_a_hanging_zookeeper_like_peer_times_out(home):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        home.write_clusters([{"name": "zkhang", "zk": "127.0.0.1",
                              "zk_port": silent.getsockname()[1],
                              "scheduler_zk_path": "/aurora/x"}])
        started = time.monotonic()
        done = home.run("--connect-timeout", "1", "job", "list", "zkhang/www-data")
        assert done.returncode == 7 and "ZooKeeper" in done.stderr
        assert time.monotonic() - started < 10
    finally:
        silent.close()
