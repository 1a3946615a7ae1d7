"""The Docker binding helper against a registry of the test's own (token auth, private repos)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aurora.config import docker
from aurora.config.job import load_job
from aurora.config.loader import ConfigError
from aurora.jobkey import parse_job_key

DIGEST = "sha256:" + "ab" * 32
JOB = ("jobs = [Job(cluster='devcluster', role='www-data', environment='test', name='img', "
       "container=Docker(image='{{docker.image[library/web][1.2]}}'), "
       "task=SimpleTask('img', 'run {{docker.image[library/web][1.2]}}'))]\n")


class Registry(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, headers: dict[str, str] | None = None,
                body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/token?") and "scope=" in self.path:
            return self._answer(200, body=json.dumps({"token": "secret-token"}).encode())
        self._answer(404)

    def do_HEAD(self) -> None:
        port = self.server.server_address[1]
        challenge = {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{port}/token",'
                                         f'service="test",scope="repository:x:pull"'}
        if self.headers.get("Authorization") != "Bearer secret-token":
            return self._answer(401, challenge)
        if self.path == "/v2/":
            return self._answer(200)
        if self.path == "/v2/library/web/manifests/1.2":
            return self._answer(200, {"Docker-Content-Digest": DIGEST})
        self._answer(401, challenge if "private" in self.path else {})


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    docker._cache.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_images_are_pinned_to_their_digest(tmp_path, registry):
    path = tmp_path / "img.aurora"
    path.write_text(JOB)
    config = load_job(str(path), parse_job_key("devcluster/www-data/test/img"),
                      docker_registry=registry)
    host = registry.split("//")[1]
    assert config.thrift.taskConfig.container.docker.image == f"{host}/library/web@{DIGEST}"
    data = json.loads(config.thrift.taskConfig.executorConfig.data)
    assert data["task"]["processes"][0]["cmdline"] == f"run {host}/library/web@{DIGEST}"


def test_private_repository_and_not_a_registry(tmp_path, registry):
    path = tmp_path / "img.aurora"
    path.write_text(JOB.replace("library/web", "team/private"))
    with pytest.raises(ConfigError, match="Private Docker repository - team/private:1.2"):
        load_job(str(path), parse_job_key("devcluster/www-data/test/img"),
                 docker_registry=registry)
    with pytest.raises(ConfigError, match="cannot reach the Docker registry"):
        load_job(str(path), parse_job_key("devcluster/www-data/test/img"),
                 docker_registry="http://127.0.0.1:9")
