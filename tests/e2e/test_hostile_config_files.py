"""clusters.json and client.toml that exist but cannot be read: exit 3 naming the file.

They used to be skipped as if absent, and the command went on to the built-in
devcluster (with autostart on, starting one: exit 0 against the wrong scheduler).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def make(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "dangling":
        path.symlink_to(path.parent / "nowhere")


@pytest.mark.parametrize("kind", ["directory", "fifo", "device", "loop", "dangling"])
@pytest.mark.parametrize("name,user", [("clusters.json", False), ("clusters.json", True),
                                       ("client.toml", True)])
def test_an_unreadable_configuration_file_is_exit_3(home, kind, name, user):
    folder = home.user_dir if user else home.config_root
    target = folder / name
    make(kind, target)
    done = home.run("job", "list", "devcluster/www-data", timeout=30)
    assert done.returncode == 3, (done.returncode, done.stderr)
    line = done.stderr.strip()
    assert "\n" not in line and str(target) in line, line
    assert "Traceback" not in line
    assert not (home.user_dir / "devcluster").exists(), "a devcluster was started"
