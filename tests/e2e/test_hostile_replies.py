"""A scheduler's reply that claims more than it holds: refused at once, whatever --timeout.

The claims cost the client nothing to check (their bytes are not there); before, a
list claiming 2**31 structs decoded for 11 s (a killall for over a minute) and
ended in "aurora: None".
"""

from __future__ import annotations

import struct
import time

import pytest

from tests.support.fakehttp import FakeScheduler
from tests.support.faultproxy import join_message, split_message

REPLY = struct.pack(">I", 0x80010002)


def claiming(element_type: int, count: int = 2**31 - 1):
    """A script answering every call with a Response whose details list claims `count`."""
    def script(_: int, seen) -> tuple[int, bytes]:
        method, seqid, _rest = split_message(seen.body)
        response = struct.pack(">bhi", 8, 1, 0) + struct.pack(">bhbi", 15, 6, element_type, count)
        return 200, join_message(REPLY, method, seqid, struct.pack(">bh", 12, 0) + response)
    return script


@pytest.mark.parametrize("element_type", [12, 11, 1])     # structs, strings, VOID
@pytest.mark.parametrize("command,code", [
    (("job", "status", "hostile/www-data/prod/hello"), 7),
    (("job", "killall", "hostile/www-data/prod/hello"), 7),
])
def test_a_claimed_list_is_refused_in_a_second(home, element_type, command, code):
    with FakeScheduler(claiming(element_type)) as fake:
        home.write_clusters([{"name": "hostile", "scheduler_uri": fake.url}])
        home.write_client_config("[scheduler]\nretries = 0\n")
        started = time.monotonic()
        done = home.run("--timeout", "5", *command)
    assert time.monotonic() - started < 4, "the claim was believed"
    assert done.returncode == code, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and "None" not in done.stderr
    assert "malformed reply" in done.stderr and "more than the" in done.stderr or \
        "does not exist" in done.stderr, line


def test_a_string_claiming_two_gigabytes_is_refused(home):
    def script(_: int, seen) -> tuple[int, bytes]:
        method, seqid, _rest = split_message(seen.body)
        detail = struct.pack(">bhi", 11, 1, 2**31 - 1) + b"x"          # message: 2 GB claimed
        response = struct.pack(">bhi", 8, 1, 0) + struct.pack(">bhbi", 15, 6, 12, 1) + detail
        return 200, join_message(REPLY, method, seqid, struct.pack(">bh", 12, 0) + response)

    with FakeScheduler(script) as fake:
        home.write_clusters([{"name": "hostile", "scheduler_uri": fake.url}])
        started = time.monotonic()
        done = home.run("--timeout", "5", "job", "list", "hostile/www-data")
    assert time.monotonic() - started < 4
    assert done.returncode == 7 and "malformed reply" in done.stderr, done.stderr
