"""Reading clusters.json and client.toml: present and readable, or a configuration error.

A configuration file that exists but cannot be a file (a directory, a FIFO, a
device such as /dev/zero behind a symlink, a symlink loop or one pointing
nowhere) used to be skipped as if absent, and the command went on to the
built-in devcluster, even starting one. Only a name that is not there at all
is absent; anything else there must be a regular file of sensible size.
"""

from __future__ import annotations

import os
import stat

from aurora.errors import ConfigurationError

MAX_BYTES = 16 * 1024 * 1024     # far above any real clusters.json or client.toml


def present(path: str) -> bool:
    """True when something (even a broken symlink) has this name."""
    return os.path.lexists(path)


def read_bytes(path: str) -> bytes:
    """The file's bytes; exit 3 naming the file when it is not a readable regular file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}",
                                 hint="fix or remove it") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ConfigurationError(f"cannot read {path}: it is {kind}",
                                 hint="it must be a regular file; fix or remove it")
    if info.st_size > MAX_BYTES:
        raise ConfigurationError(f"cannot read {path}: {info.st_size:,} bytes is more than "
                                 f"a configuration file needs ({MAX_BYTES:,} at most)",
                                 hint="fix or remove it")
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}",
                                 hint="check its permissions, or remove it") from None
