"""The test kit for plugin authors: a pytest plugin shipped with the client.

Installing aurora-client-v2 registers this module as the `pytest11` entry point
`aurora`, so a plugin package's tests get these fixtures with no conftest.py
(docs/plugins.md, "Testing a plugin"):

* `aurora_devcluster` (session): a running `aurora-devcluster` on a free
  127.0.0.1 port, stopped when the session ends. Run by root, its tasks run as
  unprivileged users, never as root, with its state in a folder they can enter.
* `aurora_home`: an isolated user (temporary HOME, site config root, caches) whose
  clusters.json names that devcluster `devcluster` when the test also asks for
  `aurora_devcluster`, and whose client.toml never autostarts one.
* `run_aurora`: runs the installed `aurora` as that user, with every plugin
  installed by `install_aurora_plugin` visible; returns an `AuroraRun`.
* `install_aurora_plugin` (session): installs a plugin package (a folder with a
  pyproject.toml) with pip into a session folder put on the PYTHONPATH of every
  `run_aurora` call, so the test environment itself is left as it was.

pytest imports this module on every run of anyone who has the client installed,
so it imports only what pytest has already imported; the rest is imported by the
fixtures that need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aurora.testkit import (
    AuroraHome,
    AuroraRunner,
    Devcluster,
    pip_install,
)


@pytest.fixture(scope="session")
def aurora_plugin_path() -> list[str]:
    """The folders `install_aurora_plugin` installed into, for PYTHONPATH."""
    return []


@pytest.fixture(scope="session")
def install_aurora_plugin(tmp_path_factory: pytest.TempPathFactory,
                          aurora_plugin_path: list[str]) -> Any:
    """install(PACKAGE_DIR, build_isolation=False) -> the folder it went into.

    Without build isolation pip builds with the test environment's own build
    backend (have setuptools there); with it, pip fetches the backend first.
    """
    done: dict[Path, Path] = {}

    def install(package: str | Path, build_isolation: bool = False) -> Path:
        source = Path(package).resolve()
        if source not in done:
            target = tmp_path_factory.mktemp(f"plugin-{source.name}")
            pip_install(source, target, build_isolation)
            done[source] = target
            aurora_plugin_path.append(str(target))
        return done[source]

    return install


@pytest.fixture(scope="session")
def aurora_devcluster(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A devcluster (process executor) on a free 127.0.0.1 port for the whole session."""
    cluster = Devcluster(tmp_path_factory.mktemp("aurora-devcluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def aurora_home(tmp_path: Path, request: pytest.FixtureRequest,
                aurora_plugin_path: list[str]) -> AuroraHome:
    """A fresh user; the session's devcluster is its `devcluster` cluster when the test
    asks for `aurora_devcluster`."""
    home = AuroraHome(tmp_path / "aurora-home", aurora_plugin_path)
    (home.root / "home").mkdir(parents=True)
    home.write_client_config("")
    if "aurora_devcluster" in request.fixturenames:
        home.write_clusters([request.getfixturevalue("aurora_devcluster").cluster_entry()])
    return home


@pytest.fixture
def run_aurora(aurora_home: AuroraHome) -> AuroraRunner:
    """run_aurora(*args, env=None, input=None, cwd=None, timeout=120) -> AuroraRun."""
    return AuroraRunner(aurora_home)
