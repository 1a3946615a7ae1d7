"""The devcluster's HTTP front under hostile requests: bounded, answered, never smuggled.

Every request here goes over a raw socket, as an attacker's would, to a devcluster
started for this module (simulated executor: no task code runs).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time

import pytest

from aurora.api.client import SchedulerError
from aurora.api.idl import api
from aurora.errors import AuthError
from tests.e2e.test_auth import hashed
from tests.support.devcluster import Devcluster
from tests.support.jobs import job, process

THRIFT = "application/vnd.apache.thrift.binary"


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-front")
    cluster = Devcluster(folder, executor="simulate").start()
    yield cluster
    cluster.stop()


def call_claiming(count: int, element_type: int = 12) -> bytes:
    """A getJobs-shaped call whose first argument claims a list of `count` elements."""
    name = b"killTasks"
    return (struct.pack(">iI", -2147418111, len(name)) + name + struct.pack(">i", 1)
            + struct.pack(">bhbi", 15, 1, element_type, count))


def exchange(port: int, raw: bytes, wait: float = 10) -> bytes:
    """Send `raw`, then read until the server closes or `wait` seconds pass."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(raw)
        chunks, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def post(path: str, body: bytes, *, length: str | None = None, extra: str = "") -> bytes:
    declared = str(len(body)) if length is None else length
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {THRIFT}\r\n"
            f"Content-Length: {declared}\r\n{extra}\r\n").encode() + body


def statuses(answer: bytes) -> list[int]:
    """The status of every response in `answer` (a smuggled one follows a body)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


@pytest.mark.parametrize("element_type", [12, 1, 0])   # structs; VOID and STOP take no bytes
def test_a_claimed_list_of_two_billion_costs_nothing(front, element_type):
    body = call_claiming(2**31 - 1, element_type)
    started = time.monotonic()
    answer = exchange(front.port, post("/api", body))
    assert time.monotonic() - started < 3, "the claim was believed"
    assert statuses(answer) == [400]
    assert b"more than the" in answer or b"does not exist" in answer


def test_four_hostile_posts_at_once_do_not_slow_another_client(front):
    client = front.client()
    client.create_job(job("neighbour", [process("p", "sleep 300")]))
    threads = [threading.Thread(target=exchange, args=(front.port, post(
        "/api", call_claiming(2**31 - 1, kind)))) for kind in (12, 1, 12, 1)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    client.get_jobs("www-data")
    assert time.monotonic() - started < 3
    for thread in threads:
        thread.join(15)


@pytest.mark.parametrize("length", ["abc", "1e3", "10, 10", "-5", "٣"])
def test_a_malformed_content_length_gets_a_400_and_one_log_line(front, length):
    log = front.state_dir / "devcluster.log"
    before = log.read_text() if log.exists() else ""
    answer = exchange(front.port, post("/api", b"x" * 10, length=length))
    assert statuses(answer) == [400]
    assert b"Content-Length" in answer
    after = log.read_text()[len(before):] if log.exists() else ""
    assert "Traceback" not in after


@pytest.mark.parametrize("path,kind", [("/nope", THRIFT), ("/api", "text/plain")])
def test_a_refused_body_is_never_read_as_a_second_request(front, path, kind):
    smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
           f"Content-Length: {len(smuggled)}\r\n\r\n").encode() + smuggled
    answer = exchange(front.port, raw)
    assert statuses(answer) in ([404], [415]), answer      # one answer, then closed


def test_a_get_with_a_body_is_refused_and_closed(front):
    smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (f"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(smuggled)}\r\n\r\n").encode()
    assert statuses(exchange(front.port, raw + smuggled)) == [400]


def test_connections_past_the_cap_get_a_503(front):
    from aurora.devcluster.server import MAX_CONNECTIONS

    held = [socket.create_connection(("127.0.0.1", front.port), timeout=10)
            for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)      # the server has accepted them all
        assert statuses(exchange(front.port, b"GET /health HTTP/1.1\r\n\r\n", wait=5)) == [503]
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert statuses(exchange(front.port, b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",
                             wait=5)) == [200]


def test_a_process_name_that_leaves_the_sandbox_is_refused(front):
    client = front.client()
    config = job("escape", [process("../../escaped", "echo hi")])
    with pytest.raises(SchedulerError, match="invalid process name .*escaped"):
        client.create_job(config)


# -- with --users --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guarded-front")
    users = folder / "users.json"
    users.write_text(json.dumps([
        {"user": "alice", "password": hashed("alice-pw"), "roles": ["alice"]},
        {"user": "bob", "password": hashed("bob-pw"), "roles": ["bob"]}]))
    cluster = Devcluster(folder / "state", executor="simulate", args=("--users", str(users)))
    yield cluster.start()
    cluster.stop()


def as_user(cluster: Devcluster, user: str):
    from aurora.api.client import RetryPolicy, SchedulerClient
    from aurora.api.transport import HttpOptions

    token = base64.b64encode(f"{user}:{user}-pw".encode()).decode()
    return SchedulerClient("devcluster", cluster.url, HttpOptions(
        headers={"Authorization": f"Basic {token}"}), retry=RetryPolicy(retries=0, budget=10))


def test_an_unauthenticated_body_is_never_read(guarded):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=10) as sock:
        sock.sendall(post("/api", b"", length=str(60 * 1024 * 1024)))   # and no body at all
        sock.settimeout(5)
        answer = sock.recv(65536)
    assert statuses(answer) == [401]
    assert time.monotonic() - started < 3


def test_a_user_cannot_pulse_another_roles_update(guarded):
    a = api()
    bob, alice = as_user(guarded, "bob"), as_user(guarded, "alice")
    config = job("coordinated", [process("p", "sleep 300")], role="bob", service=True)
    bob.create_job(config)
    changed = job("coordinated", [process("p", "sleep 301")], role="bob", service=True)
    settings = a.JobUpdateSettings(updateGroupSize=1, blockIfNoPulsesAfterMs=60_000,
                                   rollbackOnFailure=True, updateOnlyTheseInstances=set())
    request = a.JobUpdateRequest(taskConfig=changed.taskConfig, instanceCount=1,
                                 settings=settings)
    key = bob.call("startJobUpdate", request, "coordinated").result.startJobUpdateResult.key
    alice.create_job(job("own", [process("p", "sleep 300")], role="alice", service=True))
    borrowed = a.JobUpdateKey(job=a.JobKey(role="alice", environment="test", name="own"),
                              id=key.id)
    pulse = alice.call("pulseJobUpdate", borrowed).result.pulseJobUpdateResult
    assert pulse.status == a.JobUpdatePulseStatus.FINISHED        # not alice's: nothing done
    with pytest.raises(AuthError):
        alice.call("pulseJobUpdate", key)
    details = bob.call("getJobUpdateDetails", key, None).result.getJobUpdateDetailsResult
    assert details.details.update.summary.state.status == \
        a.JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE
