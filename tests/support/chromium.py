"""Headless Chromium for the page tests: Debian's `chromium`, installed when missing.

Runs as root (the tests do) with its sandbox off, a throwaway profile and no
network of its own (no updates, sync or QUIC): it only loads the devcluster's pages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.debian import ensure_package

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
BUDGET_MS = 3000     # virtual time for the page's scripts (polls and clock ticks) to run


def find() -> str:
    """The chromium executable; RuntimeError (one line) when it cannot be installed."""
    return ensure_package("chromium", "chromium")


class Chromium:
    def __init__(self, executable: str, profile: Path):
        self.executable = executable
        self.profile = profile

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([self.executable, *FLAGS, f"--user-data-dir={self.profile}",
                               *args], capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    def dom(self, url: str, budget_ms: int = BUDGET_MS) -> str:
        """The page's DOM as serialized after its scripts ran for `budget_ms` (virtual)."""
        return self._run(f"--virtual-time-budget={budget_ms}", "--dump-dom", url).stdout

    def screenshot(self, url: str, target: Path, budget_ms: int = BUDGET_MS) -> Path:
        """A 1200x900 PNG of the page, kept as a test artefact."""
        self._run(f"--virtual-time-budget={budget_ms}", f"--screenshot={target}",
                  "--window-size=1200,900", "--hide-scrollbars", url)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
        return target


class DevTools:
    """A page open in headless Chromium, driven over the DevTools protocol (a minimal
    WebSocket client: text frames only, which is all the protocol uses)."""

    def __init__(self, executable: str, profile: Path, url: str):
        import json
        import re
        import time
        import urllib.request

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1200,900", url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = found and int(found.group(1))
            if time.monotonic() > deadline or (not line and self.process.poll() is not None):
                self.close()
                raise AssertionError("Chromium did not open its DevTools port")
        pages = []
        while not pages and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            time.sleep(0.1)
        assert pages, "Chromium opened no page"
        self.socket = self._connect(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0

    @staticmethod
    def _connect(url: str) -> object:
        import base64
        import os
        import socket
        from urllib.parse import urlparse

        parts = urlparse(url)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        return sock

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.socket.recv(size - len(data))
            assert chunk, "Chromium closed the DevTools connection"
            data += chunk
        return data

    def _frame(self) -> tuple[bool, int, bytes]:
        import struct

        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack(">H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", self._read(8))[0]
        return bool(first & 0x80), first & 0x0F, self._read(size)

    def _message(self) -> str:
        data, final = b"", False
        while not final:
            final, opcode, payload = self._frame()
            if opcode in (1, 0):
                data += payload
            elif opcode == 8:
                raise AssertionError("Chromium closed the DevTools connection")
        return data.decode()

    def call(self, method: str, **params: object) -> dict:
        import json
        import os
        import struct

        self.next_id += 1
        payload = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        size = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | size]) if size < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", size))
        self.socket.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            answer = json.loads(self._message())
            if answer.get("id") == self.next_id:
                assert "error" not in answer, answer
                return answer["result"]

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        if self.process.stderr:
            self.process.stderr.close()
