"""What the tests' throwaway servers share: a folder, a port, a process group to stop."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TestServer:
    folder: Path
    port: int = 0
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        """SIGTERM the server's process group; SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
