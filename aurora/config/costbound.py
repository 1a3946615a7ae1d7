"""A bound on what loading one job file may cost: time, memory and size.

A job file is a program, and pystachio's templates can expand without limit: a
30-level self-doubling `.bind()` chain asks for 2**30 copies of a string, a
120 MB file takes minutes to compile. Loading a job file (executing it, picking
the job, checking and converting it) therefore runs under a deadline and a cap
on new memory; crossing either is a configuration error naming the file (exit 3),
in seconds. Calls to the scheduler or a registry made between those steps are
not counted.
"""

from __future__ import annotations

import os
import resource
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aurora.errors import ConfigurationError

MAX_SECONDS = 10.0                  # executing, checking and converting one job file
MAX_NEW_BYTES = 2 * 1024 ** 3       # memory a job file may add while it loads
MAX_FILE_BYTES = 8 * 1024 * 1024    # a job file's own size (with each include)


class OutOfTime(BaseException):
    """Raised by the timer inside whatever the job file was doing (a BaseException, so
    the job file's own `except Exception` cannot swallow it)."""


def too_costly(path: str, why: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {why}",
                              hint="the job file expands without bound (templates or "
                                   ".bind() chains that double?); simplify it")


class Budget:
    """The time left for one job file, spent over the blocks that load it."""

    def __init__(self, path: str, seconds: float = MAX_SECONDS):
        self.path = path
        self.left = seconds

    @contextmanager
    def spend(self) -> Iterator[None]:
        """Run the block within the time left and the memory cap; exit 3 past either."""
        started = time.monotonic()
        try:
            with _deadline(max(self.left, 0.01)), _memory_cap(MAX_NEW_BYTES):
                yield
        except OutOfTime:
            raise too_costly(self.path, f"loading took more than {MAX_SECONDS:g} s") from None
        except MemoryError:
            raise too_costly(self.path, f"loading needed more than {MAX_NEW_BYTES >> 30} GiB "
                                        "of memory") from None
        finally:
            self.left -= time.monotonic() - started


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise OutOfTime()

    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_use() -> int | None:
    """The process's virtual memory now, from /proc (None where there is no /proc)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def _memory_cap(extra: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _in_use()
    cap = None if used is None else used + extra
    if cap is None or (soft != resource.RLIM_INFINITY and soft <= cap) or \
            (hard != resource.RLIM_INFINITY and hard < cap):
        yield                           # a tighter limit is already set: keep it
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def check_size(path: str) -> None:
    """Refuse a job file too large to be one before reading it."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return                          # the reader reports it
    if size > MAX_FILE_BYTES:
        raise ConfigurationError(f"{path}: {size:,} bytes is more than a job file may be "
                                 f"({MAX_FILE_BYTES:,} at most)",
                                 hint="generate smaller job files, or several")
