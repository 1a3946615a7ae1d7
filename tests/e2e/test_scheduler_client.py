"""SchedulerClient against the devcluster and against scripted failures in between."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from aurora.api.client import RetryPolicy, SchedulerClient, SchedulerError
from aurora.api.codec import EncodeError
from aurora.api.idl import api
from aurora.api.outcome import OutcomeUnknown
from aurora.api.transport import HttpOptions
from aurora.errors import ApiError, AuthError, NetworkError, SchedulerTimeout
from tests.support.devcluster import free_port
from tests.support.fakehttp import FakeScheduler
from tests.support.faultproxy import scheduler_reply
from tests.support.jobs import job, process


def reply(method: str, code: int, message: str, seqid: int = 1) -> bytes:
    """A thrift REPLY carrying a Response with `code`, as a scheduler would send it."""
    return scheduler_reply(method, seqid, code, message)


def client_for(url: str, sleeps: list[float] | None = None, resolve=None,
               **http) -> SchedulerClient:
    """`resolve` set: a ZooKeeper-style cluster, whose refused connections are retried."""
    return SchedulerClient("test", url, HttpOptions(**http), RetryPolicy(retries=3, budget=30),
                           sleep=(sleeps.append if sleeps is not None else lambda s: None),
                           resolve=resolve, progress=lambda line: None)


def test_invalid_request_carries_scheduler_details_and_exit_10(devcluster):
    client = devcluster.client()
    config = job("twice", [process("p", "sleep 300")])
    client.create_job(config)
    with pytest.raises(SchedulerError) as caught:
        client.create_job(config)
    assert caught.value.exit_code == 10
    assert caught.value.code_name == "INVALID_REQUEST"
    assert str(caught.value) == "Job already exists: www-data/test/twice"
    unsupported = pytest.raises(SchedulerError, client.call, "listBackups")
    assert "not supported by devcluster" in str(unsupported.value)
    client.kill_tasks(config.key, None, None)


def test_connection_refused_on_loopback_fails_fast():
    sleeps: list[float] = []
    client = client_for(f"http://127.0.0.1:{free_port()}", sleeps)
    with pytest.raises(NetworkError) as caught:
        client.get_jobs("www-data")
    assert caught.value.exit_code == 7
    assert "cannot reach the scheduler" in str(caught.value)
    assert sleeps == []                          # nothing listens: retrying cannot help


def test_connection_refused_with_a_resolver_is_retried_within_bounds():
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NetworkError) as caught:
        client_for(url, sleeps, resolve=lambda: url).get_jobs("www-data")
    assert "gave up on getJobs after 4 attempt(s)" in str(caught.value)
    assert sleeps == [0.5, 1.0, 2.0]


def test_non_idempotent_call_is_retried_only_when_nothing_was_sent():
    config = job("x", [process("p", "true")])
    refused: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NetworkError):
        client_for(url, refused, resolve=lambda: url).create_job(config)
    assert refused == [0.5, 1.0, 2.0]              # refused: the request never left
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def hang_up() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()                           # the request arrived; no answer
    threading.Thread(target=hang_up, daemon=True).start()
    sent: list[float] = []
    try:
        with pytest.raises(NetworkError) as caught:
            client_for(f"http://127.0.0.1:{listener.getsockname()[1]}", sent).create_job(config)
    finally:
        listener.close()
    assert sent == [] and "not sent again" in str(caught.value)
    assert "check with: aurora job status test/www-data/test/x" in str(caught.value)


def test_silent_scheduler_times_out_with_exit_9():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        client = client_for(f"http://127.0.0.1:{listener.getsockname()[1]}",
                            timeout=0.3)
        with pytest.raises(SchedulerTimeout) as caught:
            client.get_jobs("www-data")
        assert caught.value.exit_code == 9 and "within 0.3s" in str(caught.value)
        with pytest.raises(OutcomeUnknown) as caught:      # a write: sent, then no answer
            client.create_job(job("x", [process("p", "true")]))
        assert caught.value.exit_code == 9 and "within 0.3s" in str(caught.value)
    finally:
        listener.close()


def test_503_and_error_transient_are_retried_then_succeed(devcluster):
    code = api().ResponseCode
    script = {1: (503, b"busy"), 2: (200, reply("getJobs", code.ERROR_TRANSIENT, "failover"))}
    sleeps: list[float] = []
    with FakeScheduler(lambda n, seen: script.get(n), devcluster.url) as fake:
        result = client_for(fake.url, sleeps).get_jobs("nobody")
    assert result.configs == []
    assert len(fake.requests) == 3 and sleeps == [0.5, 1.0]


def test_503_forever_gives_up_with_exit_7(devcluster):
    with FakeScheduler(lambda n, seen: (503, b"no leader"), devcluster.url) as fake:
        with pytest.raises(NetworkError) as caught:
            client_for(fake.url).get_quota("www-data")
    assert caught.value.exit_code == 7 and "HTTP 503" in str(caught.value)
    assert len(fake.requests) == 4


def test_error_transient_forever_is_exit_10_with_details():
    code = api().ResponseCode
    answer = (200, reply("getQuota", code.ERROR_TRANSIENT, "storage is recovering"))
    with FakeScheduler(lambda n, seen: answer) as fake:
        with pytest.raises(SchedulerError) as caught:
            client_for(fake.url).get_quota("www-data")
    assert caught.value.exit_code == 10
    assert str(caught.value).startswith("storage is recovering")


@pytest.mark.parametrize("status", [401, 403])
def test_http_auth_refusal_is_exit_30(status):
    with FakeScheduler(lambda n, seen: (status, b"")) as fake:
        with pytest.raises(AuthError) as caught:
            client_for(fake.url).get_jobs(None)
    assert caught.value.exit_code == 30 and f"HTTP {status}" in str(caught.value)
    assert len(fake.requests) == 1


def test_auth_failed_response_is_exit_30():
    answer = (200, reply("getJobs", api().ResponseCode.AUTH_FAILED, "who are you"))
    with FakeScheduler(lambda n, seen: answer) as fake:
        with pytest.raises(AuthError) as caught:
            client_for(fake.url).get_jobs(None)
    assert caught.value.exit_code == 30 and "who are you" in str(caught.value)


def test_headers_path_and_keep_alive(devcluster):
    with FakeScheduler(lambda n, seen: None, devcluster.url) as fake:
        client = client_for(fake.url + "/base", headers={"X-Site": "yes"})
        for _ in range(3):
            client.get_jobs(None)
        client.get_tier_configs()
    first = fake.requests[0]
    assert first.path == "/base/api"
    assert first.headers["Content-Type"] == "application/vnd.apache.thrift.binary"
    assert first.headers["Accept"] == "application/vnd.apache.thrift.binary"
    assert first.headers["User-Agent"].startswith("aurora-client-v2/")
    assert first.headers["X-Site"] == "yes"
    assert len({seen.client for seen in fake.requests}) == 1     # one kept-alive connection


def test_redirect_to_leader_is_followed(devcluster):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"{devcluster.url}/api")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tiers = client_for(f"http://127.0.0.1:{server.server_address[1]}").get_tier_configs()
        assert tiers.defaultTierName == "preemptible"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tls_scheduler(tmp_path_factory, devcluster):
    """An HTTPS front for the devcluster with a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with FakeScheduler(lambda n, seen: None, devcluster.url) as fake:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        fake.server.socket = context.wrap_socket(fake.server.socket, server_side=True)
        yield fake.url.replace("http://", "https://"), str(cert)


def test_tls_is_verified_by_default_and_a_failure_is_not_retried(tls_scheduler):
    url, _ = tls_scheduler
    sleeps: list[float] = []
    with pytest.raises(NetworkError) as caught:
        client_for(url, sleeps, resolve=lambda: url).get_tier_configs()
    assert caught.value.exit_code == 7 and sleeps == []
    assert "TLS failure" in str(caught.value) and "certificate verification failed" in \
        str(caught.value) and "--ca-bundle" in caught.value.hint
    assert "\n" not in str(caught.value)


def test_tls_with_ca_bundle_works(tls_scheduler):
    url, cert = tls_scheduler
    assert client_for(url, ca_bundle=cert).get_tier_configs().defaultTierName == "preemptible"


def test_an_argument_that_cannot_be_encoded_is_an_input_error_never_sent():
    with FakeScheduler(lambda n, seen: (200, b"")) as fake:
        with pytest.raises(EncodeError) as caught:
            client_for(fake.url).call("getQuota", 5)
    assert caught.value.exit_code == 6 and "cannot encode the getQuota request" in \
        str(caught.value)
    assert "not a thrift reply" not in str(caught.value) and fake.requests == []


def test_an_ok_answer_without_its_result_is_exit_10():
    answer = (200, reply("getJobs", api().ResponseCode.OK, "fine"))
    with FakeScheduler(lambda n, seen: answer) as fake:
        with pytest.raises(ApiError) as caught:
            client_for(fake.url).get_jobs("www-data")
    assert caught.value.exit_code == 10 and "without its result (getJobsResult)" in \
        str(caught.value)


def test_a_retried_read_says_so_once_on_stderr():
    lines: list[str] = []
    script = {1: (503, b"busy"), 2: (503, b"busy"),
              3: (200, reply("getJobs", api().ResponseCode.OK, "ok"))}
    with FakeScheduler(lambda n, seen: script[n]) as fake:
        client = SchedulerClient("test", fake.url, HttpOptions(), RetryPolicy(retries=3),
                                 sleep=lambda s: None, progress=lines.append)
        with pytest.raises(ApiError):                 # the OK reply has no result
            client.get_jobs("www-data")
    assert len(lines) == 1 and lines[0].startswith("aurora: getJobs to cluster test")
    assert "HTTP 503" in lines[0] and "retry 1 of 3" in lines[0]


def test_a_write_is_not_resent_after_a_502():
    config = job("x", [process("p", "true")])
    sleeps: list[float] = []
    with FakeScheduler(lambda n, seen: (502, b"bad gateway")) as fake:
        with pytest.raises(OutcomeUnknown) as caught:
            client_for(fake.url, sleeps).create_job(config)
    methods = [seen.body[8:17] for seen in fake.requests]
    assert methods.count(b"createJob") == 1 and sleeps == []
    assert caught.value.exit_code == 7 and "HTTP 502" in str(caught.value)


def test_control_characters_from_the_scheduler_are_escaped():
    answer = (200, reply("getQuota", api().ResponseCode.INVALID_REQUEST, "bad\x1b[2Jrole\n"))
    with FakeScheduler(lambda n, seen: answer) as fake:
        with pytest.raises(SchedulerError) as caught:
            client_for(fake.url).get_quota("www-data")
    assert str(caught.value) == "bad\\x1b[2Jrole\\n"
    assert caught.value.details == ["bad\x1b[2Jrole\n"]          # verbatim for JSON
