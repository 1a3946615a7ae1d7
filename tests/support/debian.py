"""Installing a Debian package a test needs, when it is missing (CI starts from a clean image)."""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_package(executable: str, package: str) -> str:
    """The path of `executable`, installing Debian's `package` first when needed."""
    found = shutil.which(executable) or (executable if os.path.exists(executable) else None)
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError(f"{executable} is missing and apt-get is not available")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [apt, "install", "-y", "--no-install-recommends", package]
    done = subprocess.run(install, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        subprocess.run([apt, "update"], capture_output=True, env=env)
        done = subprocess.run(install, capture_output=True, text=True, env=env)
    found = shutil.which(executable) or (executable if os.path.exists(executable) else None)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"could not install {package}: {done.stderr[-500:]}")
    return found
