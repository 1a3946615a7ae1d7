"""Shared fixtures: run the installed `aurora` in an isolated home, install test plugins."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aurora.testkit import AuroraHome, isolated_env, reachable_state_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _reference_dir() -> Path:
    """The upstream reference (api.thrift) that the IDL checks compare against.

    `$AURORA_REFERENCE_DIR` when set, else `../shared/reference` beside the clone.
    Only those checks need it; they skip (outside CI) when it is missing.
    """
    configured = os.environ.get("AURORA_REFERENCE_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "reference"


REFERENCE = _reference_dir()
REFERENCE_IDL = REFERENCE / "api.thrift"
REFERENCE_MISSING = (f"the upstream reference IDL {REFERENCE_IDL} is missing: put api.thrift "
                     "in ../shared/reference beside the clone or point AURORA_REFERENCE_DIR "
                     "at its folder")
EXAMPLES = ROOT / "docs" / "examples"
BIN = Path(sys.executable).parent


def aurora_bin(name: str = "aurora") -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: install the project first (pip install -e '.[test]')")
    return str(path)


@dataclass
class Home(AuroraHome):
    """An isolated user (the test kit's, `aurora.testkit.AuroraHome`), whose client.toml
    is the user's unless said otherwise and whose autostarted devcluster's state is
    `devcluster_state`."""

    @property
    def devcluster_state(self) -> Path:
        """Where an autostarted devcluster keeps its state: a folder its tasks' user can
        enter (see tests/support/devcluster.py), never the machine's own default."""
        return reachable_state_dir(self.root / "devcluster")

    def env(self, **extra: str) -> dict[str, str]:
        return isolated_env(self.root, self.devcluster_state, **extra)

    def write_client_config(self, text: str, user: bool = True) -> Path:
        return self._write("client.toml", text, user)

    def use(self, devcluster: Any) -> None:
        """Point this user's `devcluster` cluster at `devcluster` (a test's own), with
        autostart off: a command never starts the machine's default one."""
        self.write_clusters([devcluster.cluster_entry()])
        self.write_client_config("[devcluster]\nautostart = false\n")

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: str | None = None, input: str | None = None,
            stdin: int | None = None, python: Path | None = None) -> subprocess.CompletedProcess:
        command = [str(python), "-m", "aurora"] if python else [aurora_bin()]
        return subprocess.run([*command, *args], capture_output=True, text=True,
                              env=env or self.env(), timeout=timeout, cwd=cwd, input=input,
                              stdin=stdin if input is None else None)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def reference_idl() -> Path:
    """The reference IDL, or skip with one line saying where to put it (fail in CI)."""
    if not REFERENCE_IDL.exists():
        if in_ci():
            pytest.fail(f"CI=true but {REFERENCE_MISSING}")
        pytest.skip(REFERENCE_MISSING)
    return REFERENCE_IDL


@pytest.fixture
def home(tmp_path: Path):
    """An isolated user. A devcluster its commands autostarted and the test left running
    is stopped here, and the test errors: it would hold the port for the whole run."""
    (tmp_path / "home").mkdir()
    user = Home(tmp_path)
    yield user
    state = user.devcluster_state
    if (state / "devcluster.pid").exists():
        done = subprocess.run([aurora_bin("aurora-devcluster"), "stop", "--state-dir", str(state)],
                              capture_output=True, text=True, env=user.env(), timeout=60)
        if "not running" not in done.stdout + done.stderr:
            pytest.fail(f"the test left an autostarted devcluster running ({state}); "
                        f"stopped: {(done.stdout + done.stderr).strip()}")


def pip_install_target(package: Path, target: Path) -> None:
    """Install a fixture plugin package into `target` (used via PYTHONPATH)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(package)],
        check=True, capture_output=True, text=True,
    )


@pytest.fixture(scope="session")
def test_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("test-plugin-site")
    pip_install_target(FIXTURES / "aurora-test-plugin", target)
    return target


@pytest.fixture(scope="session")
def broken_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("broken-plugin-site")
    pip_install_target(FIXTURES / "aurora-broken-plugin", target)
    return target


@pytest.fixture(scope="session")
def devcluster(tmp_path_factory: pytest.TempPathFactory):
    """One real devcluster (process executor) for the whole session."""
    from tests.support.devcluster import Devcluster

    cluster = Devcluster(tmp_path_factory.mktemp("devcluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def dev_home(home: Home, devcluster) -> Home:
    """A user whose `devcluster` cluster is the session's devcluster."""
    home.use(devcluster)
    return home


def started(make: Any) -> Any:
    """Start a test server (installing its Debian package if needed) or fail the test."""
    try:
        return make().start()
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory):
    """A real standalone ZooKeeper on 127.0.0.1 (installed from Debian's packages if needed)."""
    from tests.support.zookeeper import ZooKeeper

    server = started(lambda: ZooKeeper(tmp_path_factory.mktemp("zookeeper")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv next to the client's, with contrib/aurora-site-example installed.

    The new environment sees the client's packages through a .pth file (as a
    site's environment layered on a shared client install would) and gets the
    example package installed into its site-packages. Returns its python.
    """
    import site
    import venv

    folder = tmp_path_factory.mktemp("site-venv")
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    client_sites = [p for p in site.getsitepackages() if Path(p).exists()]
    (Path(purelib) / "aurora-client.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in client_sites) + "\n")
    pip_install_target(ROOT / "contrib" / "aurora-site-example", Path(purelib))
    return python


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory):
    """A real OpenSSH server on 127.0.0.1 with a throwaway key pair."""
    from tests.support.sshd import Sshd

    server = started(lambda: Sshd(tmp_path_factory.mktemp("sshd")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kerberos_realm(tmp_path_factory: pytest.TempPathFactory):
    """A real MIT Kerberos realm on 127.0.0.1 with a ticket for alice."""
    from tests.support.kerberos import Realm

    realm = started(lambda: Realm(tmp_path_factory.mktemp("kerberos")))
    yield realm
    realm.stop()
