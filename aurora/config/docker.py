"""The Docker binding helper: `{{docker.image[NAME][TAG]}}` → a pinned image reference.

As the upstream client does: the cluster's `docker_registry` is asked for
the manifest of NAME:TAG (registry v2, Bearer token challenges solved, Basic
refused) and the reference is bound to `NAME@<digest>`, prefixed with the
registry's host when it is not Docker Hub. Answers are cached per process.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from aurora.config.loader import ConfigError

DEFAULT_REGISTRY = "https://registry-1.docker.io"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
REFERENCE = re.compile(r"^docker\.image\[([^\]]+)\]\[([^\]]+)\]$")
CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_cache: dict[tuple[str, str, str], str] = {}


def _request(method: str, url: str, headers: dict[str, str]) -> tuple[int, Any, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, b""
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(f"cannot reach the Docker registry at {url}: {reason}",
                          hint="check docker_registry in clusters.json") from None


def _token(challenge: str) -> str:
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() == "basic":
        raise ConfigError(f"Basic authorization not supported: {challenge}")
    fields = dict(CHALLENGE.findall(params))
    realm = fields.pop("realm", "")
    if scheme.lower() != "bearer" or not realm:
        raise ConfigError(f"unsupported Docker registry challenge: {challenge}")
    status, _, body = _request("GET", f"{realm}?{urlencode(fields)}", {})
    try:
        return json.loads(body)["token"] if status == 200 else ""
    except (ValueError, KeyError):
        return ""


def _head(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    """HEAD, solving one token challenge on 401."""
    status, answer, _ = _request("HEAD", url, headers)
    if status == 401 and answer is not None and answer.get("WWW-Authenticate"):
        token = _token(answer["WWW-Authenticate"])
        if token:
            status, answer, _ = _request("HEAD", url, {**headers,
                                                       "Authorization": f"Bearer {token}"})
    return status, answer


def resolve_image(registry: str, name: str, tag: str) -> str:
    """`name@sha256:...` for NAME:TAG in `registry` (with the registry's host if not Hub)."""
    key = (registry, name, tag)
    if key in _cache:
        return _cache[key]
    base = registry.rstrip("/")
    status, _ = _head(f"{base}/v2/", {})
    if status != 200:
        raise ConfigError(f"{registry} is not a registry v2 (HTTP {status})",
                          hint="check docker_registry in clusters.json")
    status, answer = _head(f"{base}/v2/{name}/manifests/{tag}", {"Accept": MANIFEST_V2})
    if status == 401:
        raise ConfigError(f"Private Docker repository - {name}:{tag}")
    digest = answer.get("Docker-Content-Digest") if answer is not None else None
    if status != 200 or not digest:
        raise ConfigError(f"Docker image {name}:{tag} not found in {registry} (HTTP {status})")
    host = urlsplit(registry).netloc
    pinned = f"{name}@{digest}" if registry.rstrip("/") == DEFAULT_REGISTRY else \
        f"{host}/{name}@{digest}"
    _cache[key] = pinned
    return pinned


def image_references(job: Any) -> set[str]:
    """The `docker.image[NAME][TAG]` addresses `job` still refers to (template work only,
    no network: the job-file cost bound counts it)."""
    _, refs = job.interpolate()
    return {r.address() for r in refs if REFERENCE.match(r.address())}


def bind_docker_images(job: Any, registry: str | None, wanted: set[str] | None = None) -> Any:
    """Bind every `{{docker.image[NAME][TAG]}}` in `job` to its pinned reference."""
    wanted = image_references(job) if wanted is None else wanted
    if not wanted:
        return job
    bindings = {}
    for address in sorted(wanted):
        name, tag = REFERENCE.match(address).groups()  # type: ignore[union-attr]
        bindings[address] = resolve_image(registry or DEFAULT_REGISTRY, name, tag)
    return job.bind(bindings)
